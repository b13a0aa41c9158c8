#!/usr/bin/perl
# rewrite.pl IN.cu OUT.cpp — cuda-emu (tests/cuda-emu): turn a CUDA source into C++ for the
# host compiler (tests/cuda-emu/nvcc runs it; cuda_emu_kernel.h provides what the result calls).
#
#   k<<<g, b[, s[, st]]>>>(args)     ->  ::cuda_emu::launch(k, ::cuda_emu::LaunchConfig(g, b[, s[, st]]),
#                                          "k", __FILE__, LINE)(args)
#                                        (k may be qualified or a template-id: ns::k<T, 4>)
#   extern __shared__ T a[];         ->  T *const a = reinterpret_cast<T *>(cuda_emu_dynamic_smem);
#   __shared__ T a[N], b;            ->  static T a[N], b; ::cuda_emu::SharedNote ...(&a, sizeof(a), ...); (and b)
#
# Comments, string and character literals are never touched (the search runs on a copy in
# which they are blanked). Line numbers are kept: every rewrite keeps its newlines, and the
# output starts with `#line 1 "IN.cu"`, so diagnostics, __FILE__ and __LINE__ name the .cu.
# Kernels whose template arguments are deduced from the call (`k<<<..>>>(x)` with k a
# template) are not supported: name them (`k<float><<<..>>>(x)`).
use strict;
use warnings;

my ($in, $out) = @ARGV;
die "usage: rewrite.pl IN.cu OUT.cpp\n" unless defined $out;
open(my $fh, '<', $in) or die "rewrite.pl: $in: $!\n";
my $src = do { local $/; <$fh> };
close $fh;

# ---- a copy with comments and literals blanked (same length, same newlines) ----------------
sub blank { my $s = shift; $s =~ s/[^\n]/ /g; return $s; }
my $mask = '';
{
    my $n = length $src;
    my $i = 0;
    while ($i < $n) {
        my $c = substr($src, $i, 1);
        my $c2 = substr($src, $i, 2);
        if ($c2 eq '//') {
            my $j = $i;
            # a line comment ends at a newline not escaped by a backslash
            while ($j < $n && substr($src, $j, 1) ne "\n") {
                $j += (substr($src, $j, 2) eq "\\\n") ? 2 : 1;
            }
            $mask .= blank(substr($src, $i, $j - $i));
            $i = $j;
        } elsif ($c2 eq '/*') {
            my $j = index($src, '*/', $i + 2);
            $j = $j < 0 ? $n : $j + 2;
            $mask .= blank(substr($src, $i, $j - $i));
            $i = $j;
        } elsif ($c eq 'R' && substr($src, $i, 2) eq 'R"' && ($i == 0 || substr($src, $i - 1, 1) !~ /\w/)
                 && substr($src, $i) =~ /^R"([^()\\\s]{0,16})\(/) {
            my $end = index($src, ")$1\"", $i);
            $end = $end < 0 ? $n : $end + length($1) + 2;
            $mask .= 'R"' . blank(substr($src, $i + 2, $end - $i - 3)) . '"';
            $i = $end;
        } elsif ($c eq '"' || ($c eq "'" && !digit_separator($i))) {
            my $j = $i + 1;
            while ($j < $n) {
                my $d = substr($src, $j, 1);
                if ($d eq '\\') { $j += 2; next; }
                last if $d eq $c || $d eq "\n";
                ++$j;
            }
            $j = $n - 1 if $j >= $n;
            $mask .= $c . blank(substr($src, $i + 1, $j - $i - 1)) . substr($src, $j, 1);
            $i = $j + 1;
        } else {
            $mask .= $c;
            ++$i;
        }
    }
}

# a ' inside a number (C++14 digit separator): the token it is in starts with a digit
sub digit_separator {
    my $i = shift;
    my $j = $i;
    --$j while $j > 0 && substr($src, $j - 1, 1) =~ /[0-9A-Za-z_.']/;
    return $j < $i && substr($src, $j, 1) =~ /[0-9]/;
}

sub line_of { my $pos = shift; return 1 + (substr($src, 0, $pos) =~ tr/\n//); }
sub nl { my $s = shift; return ($s =~ tr/\n//); }

# the index of the bracket that closes the one at $open (on the mask), or -1
sub close_of {
    my ($open) = @_;
    my $depth = 0;
    for (my $j = $open; $j < length $mask; ++$j) {
        my $d = substr($mask, $j, 1);
        if ($d =~ /[(\[{]/) { ++$depth; }
        elsif ($d =~ /[)\]}]/) { return $j if --$depth == 0; }
    }
    return -1;
}

my @edits; # [start, end (exclusive), replacement]

# ---- kernel launches ----------------------------------------------------------------------
while ($mask =~ /<<</g) {
    my $p = pos($mask) - 3;
    # the callee: [qualified] name [template arguments], right before <<<
    my $s = $p;
    --$s while $s > 0 && substr($mask, $s - 1, 1) =~ /\s/;
    if ($s > 0 && substr($mask, $s - 1, 1) eq '>') {
        my $depth = 0;
        while ($s > 0) {
            my $d = substr($mask, --$s, 1);
            if ($d eq '>') { ++$depth; }
            elsif ($d eq '<') { last if --$depth == 0; }
        }
        --$s while $s > 0 && substr($mask, $s - 1, 1) =~ /\s/;
    }
    --$s while $s > 0 && substr($mask, $s - 1, 1) =~ /[\w:]/;
    my $callee = substr($src, $s, $p - $s);
    $callee =~ s/\s+$//;
    if ($callee !~ /^[\w:]/) {
        warn "rewrite.pl: $in:" . line_of($p) . ": no kernel name before <<<; left as is\n";
        next;
    }
    # the configuration, up to the >>> outside any bracket
    my ($q, $depth) = ($p + 3, 0);
    for (; $q < length $mask; ++$q) {
        my $d = substr($mask, $q, 1);
        if ($d =~ /[(\[{]/) { ++$depth; }
        elsif ($d =~ /[)\]}]/) { --$depth; }
        elsif ($depth == 0 && substr($mask, $q, 3) eq '>>>') { last; }
    }
    my $r = $q + 3;
    ++$r while $r < length $mask && substr($mask, $r, 1) =~ /\s/;
    my $close = substr($mask, $r, 1) eq '(' ? close_of($r) : -1;
    if ($q >= length $mask || $close < 0) {
        warn "rewrite.pl: $in:" . line_of($p) . ": cannot parse the launch; left as is\n";
        next;
    }
    my $config = substr($src, $p + 3, $q - $p - 3);
    my $ws = substr($src, $q + 3, $r - $q - 3);
    my $args = substr($src, $r, $close + 1 - $r);
    (my $name = $callee) =~ s/\s+/ /g;
    $name =~ s/(["\\])/\\$1/g;
    my $lost = nl(substr($src, $s, $p - $s)) + nl($ws);
    my $rep = "::cuda_emu::launch($callee, ::cuda_emu::LaunchConfig($config), \"$name\", __FILE__, "
        . line_of($p) . ")" . ("\n" x $lost) . $args;
    push @edits, [$s, $close + 1, $rep];
    pos($mask) = $close + 1;
}

# ---- __shared__ ---------------------------------------------------------------------------
my $serial = 0;
while ($mask =~ /\b__shared__\b/g) {
    my $k = pos($mask) - length('__shared__');
    # the declaration ends at the first ; outside brackets
    my ($e, $depth) = (pos($mask), 0);
    for (; $e < length $mask; ++$e) {
        my $d = substr($mask, $e, 1);
        if ($d =~ /[(\[{]/) { ++$depth; }
        elsif ($d =~ /[)\]}]/) { --$depth; }
        elsif ($d eq ';' && $depth == 0) { last; }
    }
    next if $e >= length $mask;
    my $decl = substr($src, pos($mask), $e - pos($mask));
    my $line = line_of($k);
    my $before = substr($mask, 0, $k);
    if ($before =~ /\bextern\s*$/) {
        # extern __shared__ T a[];  ->  the block's dynamic shared memory
        my $x = $-[0];
        if ($decl =~ /^(.*?)\b([A-Za-z_]\w*)\s*\[\s*\]\s*$/s) {
            my ($type, $var) = ($1, $2);
            $type =~ s/__align__\s*\([^()]*(\([^()]*\))*[^()]*\)//g;
            $type =~ s/\s+/ /g;
            $type =~ s/^ | $//g;
            push @edits, [$x, $e + 1, "$type *const $var = reinterpret_cast<$type *>(cuda_emu_dynamic_smem);"
                . ("\n" x nl(substr($src, $x, $e + 1 - $x)))];
        } else {
            warn "rewrite.pl: $in:$line: cannot parse this extern __shared__ declaration; left as is\n";
        }
        next;
    }
    # __shared__ T a[N], b;  ->  static, and each variable noted for the runtime
    my $static = $before =~ /\bstatic\s*$/ ? '' : 'static';
    push @edits, [$k, $k + length('__shared__'), $static];
    next if $decl =~ /[{}=]/; # a struct defined here, or an initializer: plain static
    my @names;
    my ($piece, $d2) = ('', 0);
    for my $ch (split //, $decl . ',') {
        if ($ch eq ',' && $d2 == 0) {
            my $name;
            if ($piece =~ /^([^\[]*?)([A-Za-z_]\w*)\s*\[/s) { $name = $2; }
            elsif ($piece =~ /([A-Za-z_]\w*)\s*$/s) { $name = $1; }
            push @names, $name if defined $name && $name !~ /^(const|volatile|int|float|double|char|unsigned|long|short|signed|bool)$/;
            $piece = '';
            next;
        }
        ++$d2 if $ch =~ /[(\[<]/;
        --$d2 if $ch =~ /[)\]>]/;
        $piece .= $ch;
    }
    my $notes = join ' ', map {
        ++$serial;
        "::cuda_emu::SharedNote cuda_emu_shared_${serial}_(const_cast<void *>((const volatile void *)&$_), sizeof($_), __FILE__, $line);"
    } @names;
    push @edits, [$e + 1, $e + 1, " $notes"] if @names;
}

# ---- apply, back to front -----------------------------------------------------------------
my $res = $src;
for my $ed (sort { $b->[0] <=> $a->[0] || $b->[1] <=> $a->[1] } @edits) {
    substr($res, $ed->[0], $ed->[1] - $ed->[0]) = $ed->[2];
}
(my $quoted = $in) =~ s/(["\\])/\\$1/g;
open(my $oh, '>', $out) or die "rewrite.pl: $out: $!\n";
print $oh "#line 1 \"$quoted\"\n", $res;
close $oh or die "rewrite.pl: $out: $!\n";
