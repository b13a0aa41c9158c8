/*
 * runtime.cpp — cuda-emu (tests/cuda-emu): the CUDA runtime on the CPU. With blas_rand.cpp it
 * makes libcudaemu.a, which Darknet built GPU=1 CUDNN=0 with tests/cuda-emu/nvcc links
 * instead of libcudart/libcublas/libcurand/libcuda (build: tests/cuda-emu/build.sh).
 *
 * How kernels run. A launch runs the blocks one after another (CUDA_EMU_ORDER: forward,
 * reversed or shuffled with CUDA_EMU_SEED; the threads of a block in the same order). The
 * threads of a block are fibers on this host thread: each gets a small mmap'ed stack with a
 * guard page, and a hand-written x86-64 context switch (ucontext elsewhere) moves between
 * them. Fast path: one fiber runs thread after thread until one reaches a barrier
 * (__syncthreads) or a warp operation (__shfl*_sync, __ballot_sync, ...); only then does every
 * thread get its own fiber, and all run to that barrier, then to the next. A warp operation is
 * a barrier of the lanes in its mask. Threads switch only there, so atomics and shared memory
 * need no locks; kernels from several host threads are serialized by one lock.
 *
 * What it checks (fatal: "cuda-emu: ..." on stderr, then abort()):
 *  - launch limits: block x, y <= 1024, z <= 64, x*y*z <= 1024; grid x <= 2^31-1, y, z <=
 *    65535; no zero dimension; static + dynamic __shared__ <= 48 KiB; a live stream;
 *  - every pointer argument of a kernel is NULL or points into device, managed or pinned
 *    memory (the allocation table; one past the end allowed);
 *  - a __syncthreads that some threads of the block never reach (they finished, or wait at a
 *    warp operation), or that threads reach at different call sites (file:line); warp
 *    operations whose lanes finished or disagree;
 *  - after each launch, the guard bytes around the allocations its pointer arguments point
 *    into (a kernel that wrote past either end of one; built with ASan, ASan's own redzones
 *    do this, with the source line, for reads as well);
 *  - cudaMemcpy and cudaMemset (all variants) outside their allocations, in the wrong direction
 *    (cudaMemcpyHostToDevice whose destination is not device memory, ...; cudaMemcpyDefault
 *    goes anywhere), or from/to NULL; cudaFree/cudaFreeHost of a pointer they did not
 *    allocate; host API calls from inside a kernel.
 * New device memory (cudaMalloc, cudaMallocManaged) is filled with 0xff bytes, so a float read
 * before anything wrote it is NaN; so is each block's shared memory when the block starts.
 *
 * Everything is synchronous: a kernel has finished when its launch returns; streams and events
 * are valid handles that order nothing; async copies copy at once; cudaEventElapsedTime is
 * host time. CUDA graphs are not emulated (capture returns cudaErrorStreamCaptureUnsupported).
 *
 * What this can NEVER show: real timing; coalescing, bank conflicts, occupancy, register
 * pressure; device math at the ulp (host libm, no FMA contraction, no --use_fast_math);
 * cuBLAS's summation order (OpenBLAS here); cuDNN (CUDNN=0 builds only); stream concurrency
 * (a missing stream synchronization is invisible); races between blocks, and races within a
 * block whose result does not depend on the order the threads run in; __CUDA_ARCH__
 * branches (never taken); CUDA graphs; host code that dereferences device pointers (device
 * memory is host memory here). "Emulated" is not "tested on a GPU".
 */
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include "cuda.h"
#include "cuda_emu_kernel.h"
#include "internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define CUDA_EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CUDA_EMU_ASAN 1
#endif
#endif
#ifdef CUDA_EMU_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

/* the fibers' context switch: hand-written on x86-64, ucontext elsewhere (or with
 * -DCUDA_EMU_UCONTEXT, for comparison) */
#if defined(__x86_64__) && !defined(CUDA_EMU_UCONTEXT)
#define CUDA_EMU_ASM_SWITCH 1
#else
#include <ucontext.h>
#endif

/* ---- the built-in variables and the dynamic shared memory --------------------------------- */
extern "C" {
uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;
alignas(256) unsigned char cuda_emu_dynamic_smem[48 * 1024];
}

namespace cuda_emu {

static const size_t kSharedLimit = 48 * 1024;
static const size_t kTotalMem = 16ull << 30; /* what cudaMemGetInfo reports */
#ifdef CUDA_EMU_ASAN
static const size_t kGuard = 0; /* ASan's own redzones guard every allocation */
#else
static const size_t kGuard = 256; /* guard bytes before and after each allocation */
#endif
static const unsigned char kGuardByte = 0xfd;

unsigned long long stat_gemms;

/* ---- reporting ---------------------------------------------------------------------------- */
void fatal(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("cuda-emu: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}

void warn(const char *fmt, ...)
{
    va_list ap;
    fputs("cuda-emu: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ---- settings (environment, read once) ---------------------------------------------------- */
static struct Settings {
    bool ready = false;
    int order = CUDA_EMU_FORWARD;
    unsigned long long seed = 1;
    size_t stack_bytes = 0;
    int sms = 80;
    bool verbose = false;
} settings;
static std::once_flag settings_once;

static void print_stats()
{
    cuda_emu_stats st;
    cuda_emu_get_stats(&st);
    fprintf(stderr, "cuda-emu: %llu launches, %llu blocks, %llu threads (%llu blocks met a barrier), "
            "%llu fiber switches, %llu sgemm, device memory peak %zu bytes\n", st.launches, st.blocks,
            st.threads, st.full_blocks, st.switches, st.gemms, st.device_bytes_peak);
}

static void read_settings()
{
    const char *s = getenv("CUDA_EMU_ORDER");
    if (s && *s) {
        if (!strcmp(s, "forward")) settings.order = CUDA_EMU_FORWARD;
        else if (!strcmp(s, "reversed")) settings.order = CUDA_EMU_REVERSED;
        else if (!strcmp(s, "shuffled")) settings.order = CUDA_EMU_SHUFFLED;
        else fatal("CUDA_EMU_ORDER=%s: use forward, reversed or shuffled", s);
    }
    if ((s = getenv("CUDA_EMU_SEED")) && *s) settings.seed = strtoull(s, nullptr, 0);
#ifdef CUDA_EMU_ASAN
    size_t kb = 256;
#else
    size_t kb = 64;
#endif
    if ((s = getenv("CUDA_EMU_STACK_KB")) && *s) kb = strtoul(s, nullptr, 0);
    if (kb < 16) kb = 16;
    settings.stack_bytes = kb * 1024;
    if ((s = getenv("CUDA_EMU_SMS")) && *s) settings.sms = std::max(1, atoi(s));
    settings.verbose = (s = getenv("CUDA_EMU_VERBOSE")) && *s && strcmp(s, "0");
    if ((s = getenv("CUDA_EMU_STATS")) && *s && strcmp(s, "0")) atexit(print_stats);
    settings.ready = true;
}
static void asan_hook();
static inline void init() { std::call_once(settings_once, [] { read_settings(); asan_hook(); }); }

/* ---- the allocation table ----------------------------------------------------------------- */
struct Alloc {
    char *base;
    size_t size;
    MemKind kind;
    void *raw;      /* what to free (nullptr: registered memory, not ours) */
};
static std::mutex table_mu;
static std::map<uintptr_t, Alloc> table; /* by base */
static size_t device_bytes, device_bytes_peak;

const char *kind_name(MemKind k)
{
    switch (k) {
    case MemKind::Device: return "device memory (cudaMalloc)";
    case MemKind::Managed: return "managed memory (cudaMallocManaged)";
    case MemKind::Pinned: return "pinned host memory (cudaHostAlloc/cudaMallocHost)";
    case MemKind::Registered: return "registered host memory (cudaHostRegister)";
    }
    return "?";
}

/* the allocation holding p (one past the end counts); table_mu held */
static const Alloc *lookup(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    auto it = table.upper_bound(a);
    if (it == table.begin()) return nullptr;
    --it;
    const Alloc &al = it->second;
    return a <= (uintptr_t)al.base + al.size ? &al : nullptr;
}

AllocInfo find_alloc(const void *p)
{
    std::lock_guard<std::mutex> g(table_mu);
    const Alloc *al = lookup(p);
    if (!al) return AllocInfo{nullptr, 0, MemKind::Device, false};
    return AllocInfo{al->base, al->size, al->kind, true};
}

void check_device_range(const void *p, size_t n, const char *what)
{
    AllocInfo a = find_alloc(p);
    if (!p) fatal("%s: NULL pointer", what);
    if (!a.found)
        fatal("%s: %p is not device-accessible memory (host memory, or freed device memory)", what, p);
    if ((const char *)p + n > a.base + a.size)
        fatal("%s: %zu bytes at %p run %zu bytes past the end of their allocation (%s of %zu "
              "bytes at %p)", what, n, p, (size_t)((const char *)p + n - (a.base + a.size)),
              kind_name(a.kind), a.size, (void *)a.base);
}

static void fill_guards(char *base, size_t size)
{
    if (!kGuard) return;
    memset(base - kGuard, kGuardByte, kGuard);
    memset(base + size, kGuardByte, kGuard);
}

/* the guard bytes of an allocation intact? what: for the message */
static void check_guards(const Alloc &al, const char *what)
{
    if (!kGuard || !al.raw) return;
    const unsigned char *lo = (const unsigned char *)al.base - kGuard;
    const unsigned char *hi = (const unsigned char *)al.base + al.size;
    for (size_t i = 0; i < kGuard; ++i)
        if (hi[i] != kGuardByte)
            fatal("%s wrote past the end of %s of %zu bytes at %p (byte %zu after its end changed)",
                  what, kind_name(al.kind), al.size, (void *)al.base, i);
    for (size_t i = 0; i < kGuard; ++i)
        if (lo[i] != kGuardByte)
            fatal("%s wrote before the start of %s of %zu bytes at %p (byte %zu before it changed)",
                  what, kind_name(al.kind), al.size, (void *)al.base, kGuard - i);
}

static cudaError_t allocate(void **out, size_t size, MemKind kind, const char *api)
{
    init();
    if (in_kernel()) fatal("%s called inside a kernel", api);
    if (!out) fatal("%s: NULL result pointer", api);
    *out = nullptr;
    if (size == 0) return cudaSuccess;
    void *raw = nullptr;
    if (posix_memalign(&raw, 256, kGuard + size + kGuard) != 0) return cudaErrorMemoryAllocation;
    char *base = (char *)raw + kGuard;
    fill_guards(base, size);
    if (kind == MemKind::Device || kind == MemKind::Managed)
        memset(base, 0xff, size); /* poison: unwritten floats read as NaN */
    std::lock_guard<std::mutex> g(table_mu);
    table[(uintptr_t)base] = Alloc{base, size, kind, raw};
    if (kind == MemKind::Device || kind == MemKind::Managed) {
        device_bytes += size;
        device_bytes_peak = std::max(device_bytes_peak, device_bytes);
    }
    *out = base;
    return cudaSuccess;
}

static cudaError_t release(void *p, bool host, const char *api)
{
    init();
    if (in_kernel()) fatal("%s called inside a kernel", api);
    if (!p) return cudaSuccess;
    std::unique_lock<std::mutex> g(table_mu);
    auto it = table.find((uintptr_t)p);
    if (it == table.end()) {
        const Alloc *al = lookup(p);
        if (al)
            fatal("%s(%p): not the start of its allocation (%s of %zu bytes at %p)", api, p,
                  kind_name(al->kind), al->size, (void *)al->base);
        fatal("%s(%p): a pointer it did not allocate (host memory, or freed already)", api, p);
    }
    Alloc al = it->second;
    bool is_host = al.kind == MemKind::Pinned;
    if (al.kind == MemKind::Registered)
        fatal("%s(%p): registered host memory: use cudaHostUnregister", api, p);
    if (host != is_host)
        fatal("%s(%p): this is %s: free it with %s", api, p, kind_name(al.kind),
              is_host ? "cudaFreeHost" : "cudaFree");
    check_guards(al, "something (a kernel or a host write)");
    table.erase(it);
    if (!is_host) device_bytes -= al.size;
    g.unlock();
    free(al.raw);
    return cudaSuccess;
}

/* ---- streams and events: valid handles ------------------------------------------------------ */
static std::mutex handle_mu;
static std::set<const void *> streams, events;

bool stream_valid(cudaStream_t s)
{
    if (s == nullptr || s == cudaStreamLegacy || s == cudaStreamPerThread) return true;
    std::lock_guard<std::mutex> g(handle_mu);
    return streams.count((const void *)s) != 0;
}

static void need_stream(cudaStream_t s, const char *api)
{
    if (!stream_valid(s)) fatal("%s: stream %p is not a live stream (destroyed, or never created)", api, (void *)s);
}

/* ---- fibers ------------------------------------------------------------------------------- */
#ifdef CUDA_EMU_ASM_SWITCH
/* cuda_emu_switch(save, to): push the callee-saved registers, save the stack pointer in *save,
 * load `to`, pop, return into the other fiber. A new fiber's stack holds, from its top:
 * cuda_emu_fiber_start, rbp, rbx, r12 (argument), r13 (function), r14, r15. */
extern "C" void cuda_emu_switch(void **save, void *to);
extern "C" void cuda_emu_fiber_start();
__asm__(".text\n"
        ".globl cuda_emu_switch\n"
        ".hidden cuda_emu_switch\n"
        ".type cuda_emu_switch,@function\n"
        "cuda_emu_switch:\n"
        "    pushq %rbp\n"
        "    pushq %rbx\n"
        "    pushq %r12\n"
        "    pushq %r13\n"
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    movq %rsp, (%rdi)\n"
        "    movq %rsi, %rsp\n"
        "    popq %r15\n"
        "    popq %r14\n"
        "    popq %r13\n"
        "    popq %r12\n"
        "    popq %rbx\n"
        "    popq %rbp\n"
        "    ret\n"
        ".size cuda_emu_switch, .-cuda_emu_switch\n"
        ".globl cuda_emu_fiber_start\n"
        ".hidden cuda_emu_fiber_start\n"
        ".type cuda_emu_fiber_start,@function\n"
        "cuda_emu_fiber_start:\n"
        "    movq %r12, %rdi\n"
        "    callq *%r13\n"
        "    ud2\n"
        ".size cuda_emu_fiber_start, .-cuda_emu_fiber_start\n");
#endif

struct Stack {
    char *lo = nullptr; /* lowest usable byte (the guard page is below) */
    size_t size = 0;
};

enum FiberState { RUNNABLE, AT_BARRIER, AT_WARP, DONE };

struct Fiber {
#ifdef CUDA_EMU_ASM_SWITCH
    void *sp = nullptr;
#else
    ucontext_t uc;
#endif
    Stack stack;
    int tid = -1;         /* the linear thread index it runs; -1: the fast-path runner, between threads */
    FiberState state = DONE;
    /* where it waits */
    const char *file = nullptr;
    int line = 0;
    int kind = 0, pred = 0, param = 0, width = 32;
    unsigned mask = 0;
    unsigned long long value = 0, result = 0;
    void *asan_fake = nullptr;
};

/* fiber i owns stack i; made when a block first needs it, kept (reachable: no leak report) */
static Fiber *pool[1024];
static size_t pool_size;
static size_t page_size;
#ifdef CUDA_EMU_ASM_SWITCH
static void *sched_sp;
#else
static ucontext_t sched_uc;
#endif
#ifdef CUDA_EMU_ASAN
static void *sched_fake;
static const void *sched_bottom;
static size_t sched_size;
#endif

static void stack_overflow_handler_install();

static Fiber *get_fiber(size_t i)
{
    while (pool_size <= i) {
        if (!page_size) page_size = (size_t)sysconf(_SC_PAGESIZE);
        size_t size = (settings.stack_bytes + page_size - 1) / page_size * page_size;
        void *m = mmap(nullptr, size + page_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) fatal("mmap of a %zu-byte fiber stack failed: %s", size, strerror(errno));
        if (mprotect(m, page_size, PROT_NONE) != 0) fatal("mprotect of a guard page failed");
        Fiber *f = new Fiber;
        f->stack.lo = (char *)m + page_size;
        f->stack.size = size;
        pool[pool_size++] = f;
        if (pool_size == 1) stack_overflow_handler_install();
    }
    return pool[i];
}

/* ---- the launch in progress (one at a time: launch_mu) -------------------------------------- */
static std::mutex launch_mu;
static struct Run {
    bool active = false;
    const LaunchConfig *cfg = nullptr;
    const Site *site = nullptr;
    void (*fn)(void *) = nullptr;
    void *ctx = nullptr;
    unsigned nthreads = 0;
    std::vector<int> order;          /* the block's threads, in the order they run */
    std::vector<Fiber *> by_tid;     /* full mode: the fiber of each thread */
    std::vector<unsigned char> done; /* per thread */
    unsigned ndone = 0, next = 0;
    bool full = false;               /* every thread has its own fiber */
    Fiber *cur = nullptr;            /* the fiber running now */
    void *seen[64];                  /* the block's __shared__ variables seen so far */
    int nseen = 0;
    size_t static_shared = 0;
    unsigned long long launch_no = 0;
} R;

static struct Stats {
    unsigned long long launches, blocks, threads, full_blocks, switches;
} stats;

bool in_kernel() { return R.cur != nullptr; }

static void set_thread(int tid)
{
    const unsigned bx = blockDim.x, by = blockDim.y;
    threadIdx.x = (unsigned)tid % bx;
    threadIdx.y = ((unsigned)tid / bx) % by;
    threadIdx.z = (unsigned)tid / (bx * by);
}

static std::string where_thread(int tid)
{
    char b[256];
    const unsigned bx = blockDim.x, by = blockDim.y;
    snprintf(b, sizeof b, "thread (%u,%u,%u) of block (%u,%u,%u) of kernel %s (launched at %s:%d)",
             (unsigned)tid % bx, ((unsigned)tid / bx) % by, (unsigned)tid / (bx * by), blockIdx.x,
             blockIdx.y, blockIdx.z, R.site->kernel, R.site->file, R.site->line);
    return b;
}

static std::string tid_str(int tid)
{
    char b[64];
    const unsigned bx = blockDim.x, by = blockDim.y;
    snprintf(b, sizeof b, "(%u,%u,%u)", (unsigned)tid % bx, ((unsigned)tid / bx) % by,
             (unsigned)tid / (bx * by));
    return b;
}

static void fiber_main(void *arg);

#ifndef CUDA_EMU_ASM_SWITCH
static void fiber_trampoline() { fiber_main(R.cur); }
#endif

static void fiber_init(Fiber *f)
{
    f->state = RUNNABLE;
    f->asan_fake = nullptr;
#ifdef CUDA_EMU_ASAN
    /* frames a previous fiber left on this stack (its entry frame never returned) */
    size_t top = std::min<size_t>(f->stack.size, 16384);
    __asan_unpoison_memory_region(f->stack.lo + f->stack.size - top, top);
#endif
#ifdef CUDA_EMU_ASM_SWITCH
    uintptr_t top16 = ((uintptr_t)(f->stack.lo + f->stack.size) & ~(uintptr_t)15) - 16;
    void **sp = (void **)top16;
    *--sp = (void *)cuda_emu_fiber_start; /* the return address of the first switch */
    *--sp = nullptr;                      /* rbp */
    *--sp = nullptr;                      /* rbx */
    *--sp = (void *)f;                    /* r12: the argument */
    *--sp = (void *)fiber_main;           /* r13: the function */
    *--sp = nullptr;                      /* r14 */
    *--sp = nullptr;                      /* r15 */
    f->sp = sp;
#else
    getcontext(&f->uc);
    f->uc.uc_stack.ss_sp = f->stack.lo;
    f->uc.uc_stack.ss_size = f->stack.size;
    f->uc.uc_link = nullptr;
    makecontext(&f->uc, fiber_trampoline, 0); /* switch_to sets R.cur to the fiber first */
#endif
}

/* scheduler -> fiber f, until it yields */
static void switch_to(Fiber *f)
{
    R.cur = f;
    if (f->tid >= 0) set_thread(f->tid);
    ++stats.switches;
#ifdef CUDA_EMU_ASAN
    __sanitizer_start_switch_fiber(&sched_fake, f->stack.lo, f->stack.size);
#endif
#ifdef CUDA_EMU_ASM_SWITCH
    cuda_emu_switch(&sched_sp, f->sp);
#else
    swapcontext(&sched_uc, &f->uc);
#endif
#ifdef CUDA_EMU_ASAN
    __sanitizer_finish_switch_fiber(sched_fake, nullptr, nullptr);
#endif
    R.cur = nullptr;
}

/* fiber -> scheduler; returns when the scheduler switches back (never, if the fiber is done) */
static void yield(Fiber *f)
{
#ifdef CUDA_EMU_ASAN
    __sanitizer_start_switch_fiber(f->state == DONE ? nullptr : &f->asan_fake, sched_bottom, sched_size);
#endif
#ifdef CUDA_EMU_ASM_SWITCH
    cuda_emu_switch(&f->sp, sched_sp);
#else
    swapcontext(&f->uc, &sched_uc);
#endif
#ifdef CUDA_EMU_ASAN
    __sanitizer_finish_switch_fiber(f->asan_fake, &sched_bottom, &sched_size);
#endif
}

static void fiber_main(void *arg)
{
    Fiber *f = (Fiber *)arg;
#ifdef CUDA_EMU_ASAN
    __sanitizer_finish_switch_fiber(nullptr, &sched_bottom, &sched_size);
#endif
    for (;;) {
        int tid = f->tid;
        if (tid < 0) { /* the fast-path runner takes the next thread */
            if (R.full || R.next >= R.nthreads) break;
            tid = f->tid = R.order[R.next++];
            set_thread(tid);
        }
        R.fn(R.ctx);
        R.done[tid] = 1;
        ++R.ndone;
        if (R.full) break; /* in full mode a fiber runs one thread */
        f->tid = -1;
    }
    f->state = DONE;
    yield(f);
    fatal("internal error: a finished fiber was resumed");
}

/* ---- barriers and warp operations -------------------------------------------------------- */
static Fiber *current(const char *what, const char *file, int line)
{
    Fiber *f = R.cur;
    if (!f) fatal("%s at %s:%d called outside a kernel", what, file, line);
    if (!R.full) { /* the first barrier of this block: every thread gets a fiber */
        R.full = true;
        R.by_tid[f->tid] = f;
    }
    return f;
}

extern "C" int cuda_emu_barrier(int kind, int pred, const char *file, int line)
{
    Fiber *f = current("__syncthreads", file, line);
    f->state = AT_BARRIER;
    f->kind = kind;
    f->pred = pred;
    f->file = file;
    f->line = line;
    yield(f);
    return (int)f->result;
}

extern "C" unsigned long long cuda_emu_warp_op(int kind, unsigned mask, unsigned long long value,
                                               int param, int width, const char *file, int line)
{
    Fiber *f = current("a warp operation", file, line);
    unsigned lane = (unsigned)f->tid % 32;
    if (!(mask >> lane & 1u))
        fatal("%s: the warp operation at %s:%d has mask 0x%08x, which does not name the calling lane %u",
              where_thread(f->tid).c_str(), file, line, mask, lane);
    if (width < 1 || width > 32 || (width & (width - 1)))
        fatal("%s: width %d at %s:%d is not a power of two in 1..32", where_thread(f->tid).c_str(),
              width, file, line);
    f->state = AT_WARP;
    f->kind = kind;
    f->mask = mask;
    f->value = value;
    f->param = param;
    f->width = width;
    f->file = file;
    f->line = line;
    yield(f);
    return f->result;
}

extern "C" unsigned cuda_emu_activemask(void)
{
    Fiber *f = R.cur;
    if (!f) fatal("__activemask() outside a kernel");
    unsigned w = (unsigned)f->tid / 32, m = 0;
    for (unsigned l = 0; l < 32 && w * 32 + l < R.nthreads; ++l)
        if (!R.done[w * 32 + l]) m |= 1u << l;
    return m;
}

extern "C" void cuda_emu_trap(const char *file, int line)
{
    if (R.cur) fatal("__trap() at %s:%d in %s", file, line, where_thread(R.cur->tid).c_str());
    fatal("__trap() at %s:%d", file, line);
}

extern "C" void cuda_emu_shared_note(void *p, size_t size, const char *file, int line)
{
    if (!R.cur) return; /* a __shared__ variable outside a kernel: nothing to count */
    for (int i = 0; i < R.nseen; ++i)
        if (R.seen[i] == p) return;
    if (R.nseen < (int)(sizeof R.seen / sizeof R.seen[0])) R.seen[R.nseen++] = p;
    R.static_shared += size;
    if (R.static_shared + R.cfg->shmem > kSharedLimit)
        fatal("kernel %s (launched at %s:%d) uses %zu bytes of __shared__ memory (%zu static, the "
              "last at %s:%d, + %zu dynamic): more than the %zu a block may have",
              R.site->kernel, R.site->file, R.site->line, R.static_shared + R.cfg->shmem,
              R.static_shared, file, line, R.cfg->shmem, kSharedLimit);
    memset(p, 0xff, size); /* poison: shared memory holds garbage when a block starts */
}

/* The warp operations that can complete now: every lane named by a waiting lane's mask (and
 * present in the block) waits at a warp operation of the same kind and mask. Returns whether
 * any completed. */
static bool complete_warp_ops()
{
    bool any = false;
    const unsigned n = R.nthreads, nwarps = (n + 31) / 32;
    for (unsigned w = 0; w < nwarps; ++w) {
        unsigned present = 0;
        for (unsigned l = 0; l < 32 && w * 32 + l < n; ++l) present |= 1u << l;
        unsigned handled = 0;
        for (unsigned l = 0; l < 32 && w * 32 + l < n; ++l) {
            Fiber *f = R.by_tid[w * 32 + l];
            if (handled >> l & 1u || R.done[w * 32 + l] || f->state != AT_WARP) continue;
            const unsigned group = f->mask & present;
            bool ready = true;
            for (unsigned m = 0; m < 32; ++m) {
                if (!(group >> m & 1u)) continue;
                const int t = (int)(w * 32 + m);
                if (R.done[t])
                    fatal("%s waits at a warp operation at %s:%d (mask 0x%08x), but lane %u, thread "
                          "%s, has finished", where_thread(f->tid).c_str(), f->file, f->line, f->mask,
                          m, tid_str(t).c_str());
                Fiber *g = R.by_tid[t];
                if (g->state != AT_WARP) { ready = false; break; }
                if (g->kind != f->kind || g->mask != f->mask)
                    fatal("lanes of warp %u of block (%u,%u,%u) of kernel %s (launched at %s:%d) meet "
                          "at different warp operations: lane %u at %s:%d (mask 0x%08x), lane %u at "
                          "%s:%d (mask 0x%08x)", w, blockIdx.x, blockIdx.y, blockIdx.z,
                          R.site->kernel, R.site->file, R.site->line, l, f->file, f->line, f->mask,
                          m, g->file, g->line, g->mask);
            }
            if (!ready) continue;
            handled |= group;
            /* every lane of the group has posted its value: compute the results */
            unsigned ballot = 0;
            for (unsigned m = 0; m < 32; ++m)
                if (group >> m & 1u && R.by_tid[w * 32 + m]->value) ballot |= 1u << m;
            for (unsigned m = 0; m < 32; ++m) {
                if (!(group >> m & 1u)) continue;
                Fiber *g = R.by_tid[w * 32 + m];
                const unsigned wd = (unsigned)g->width, seg = m & ~(wd - 1);
                const unsigned p = (unsigned)g->param;
                unsigned src = m;
                switch (g->kind) {
                case SHFL_IDX: src = seg + (p & (wd - 1)); break;
                case SHFL_UP: src = (m - seg) >= p ? m - p : m; break;
                case SHFL_DOWN: src = (m - seg) + p < wd ? m + p : m; break;
                case SHFL_XOR: src = ((m ^ p) & ~(wd - 1)) == seg ? (m ^ p) & 31u : m; break;
                default: break;
                }
                switch (g->kind) {
                case SHFL_IDX: case SHFL_UP: case SHFL_DOWN: case SHFL_XOR:
                    /* a lane outside the group: undefined on a GPU, NaN-like garbage here */
                    g->result = (group >> src & 1u) ? R.by_tid[w * 32 + src]->value : ~0ull;
                    break;
                case BALLOT: g->result = ballot; break;
                case ANY: g->result = ballot != 0; break;
                case ALL: g->result = ballot == group; break;
                default: g->result = 0; break;
                }
                g->state = RUNNABLE;
            }
            any = true;
        }
    }
    return any;
}

/* Every thread still running waits at a block barrier: release them (after the checks). */
static bool complete_barrier()
{
    const unsigned n = R.nthreads;
    int first = -1, count = 0;
    for (unsigned t = 0; t < n; ++t) {
        if (R.done[t]) continue;
        Fiber *f = R.by_tid[t];
        if (f->state != AT_BARRIER) return false;
        if (first < 0) first = (int)t;
        count += f->pred != 0;
    }
    if (first < 0) return false;
    Fiber *f0 = R.by_tid[first];
    if (R.ndone) {
        std::string who;
        int shown = 0;
        for (unsigned t = 0; t < n && shown < 4; ++t)
            if (R.done[t]) { who += (shown++ ? ", " : "") + tid_str((int)t); }
        fatal("__syncthreads at %s:%d is never reached by %u of the %u threads of block (%u,%u,%u) "
              "of kernel %s (launched at %s:%d): they finished (%s%s) while thread %s waits there",
              f0->file, f0->line, R.ndone, n, blockIdx.x, blockIdx.y, blockIdx.z, R.site->kernel,
              R.site->file, R.site->line, who.c_str(), R.ndone > 4 ? ", ..." : "",
              tid_str(first).c_str());
    }
    for (unsigned t = 0; t < n; ++t) {
        Fiber *f = R.by_tid[t];
        if (f->line != f0->line || strcmp(f->file, f0->file) != 0)
            fatal("threads of block (%u,%u,%u) of kernel %s (launched at %s:%d) wait at different "
                  "__syncthreads: thread %s at %s:%d, thread %s at %s:%d", blockIdx.x, blockIdx.y,
                  blockIdx.z, R.site->kernel, R.site->file, R.site->line, tid_str(first).c_str(),
                  f0->file, f0->line, tid_str((int)t).c_str(), f->file, f->line);
    }
    for (unsigned t = 0; t < n; ++t) {
        Fiber *f = R.by_tid[t];
        switch (f->kind) {
        case 1: f->result = (unsigned long long)count; break;
        case 2: f->result = count == (int)n; break;
        case 3: f->result = count > 0; break;
        default: f->result = 0; break;
        }
        f->state = RUNNABLE;
    }
    return true;
}

/* nothing can run and nothing can complete: say where everyone is */
[[noreturn]] static void deadlock()
{
    std::map<std::string, std::pair<int, int>> at; /* place -> (count, a thread) */
    for (unsigned t = 0; t < R.nthreads; ++t) {
        char b[512];
        if (R.done[t]) snprintf(b, sizeof b, "finished");
        else {
            Fiber *f = R.by_tid[t];
            snprintf(b, sizeof b, "%s at %s:%d",
                     f->state == AT_BARRIER ? "__syncthreads" : "a warp operation", f->file, f->line);
        }
        auto &e = at[b];
        if (!e.first++) e.second = (int)t;
    }
    std::string s;
    for (auto &e : at)
        s += "\n    " + std::to_string(e.second.first) + " thread(s) " + e.first + " (e.g. " +
             tid_str(e.second.second) + ")";
    fatal("block (%u,%u,%u) of kernel %s (launched at %s:%d) cannot go on: a __syncthreads or warp "
          "operation that not all of its threads reach:%s", blockIdx.x, blockIdx.y, blockIdx.z,
          R.site->kernel, R.site->file, R.site->line, s.c_str());
}

static void run_block()
{
    const unsigned n = R.nthreads;
    std::fill(R.done.begin(), R.done.end(), 0);
    R.ndone = 0;
    R.next = 0;
    R.full = false;
    R.nseen = 0;
    R.static_shared = 0;
    if (R.cfg->shmem) memset(cuda_emu_dynamic_smem, 0xff, R.cfg->shmem);

    Fiber *runner = get_fiber(0);
    runner->tid = -1;
    fiber_init(runner);
    switch_to(runner);
    ++stats.blocks;
    stats.threads += R.ndone;
    if (!R.full) return; /* the fast path ran every thread */

    /* full mode: the runner is the thread that met the barrier; the threads not started yet
     * get fibers; run everyone in the block's order, barrier to barrier */
    ++stats.full_blocks;
    const unsigned first = R.next - 1; /* the runner's place in the order */
    std::vector<Fiber *> sched;
    sched.reserve(n - first);
    sched.push_back(runner);
    for (unsigned i = R.next, k = 1; i < n; ++i, ++k) {
        Fiber *g = get_fiber(k);
        g->tid = R.order[i];
        fiber_init(g);
        R.by_tid[g->tid] = g;
        sched.push_back(g);
    }
    for (unsigned i = 0; i < first; ++i) R.by_tid[R.order[i]] = nullptr; /* finished in the fast path */
    R.next = n;
    unsigned long long before = R.ndone;
    for (;;) {
        for (Fiber *f : sched)
            if (f->state == RUNNABLE) switch_to(f);
        if (R.ndone == n) break;
        if (!complete_warp_ops() && !complete_barrier()) deadlock();
    }
    stats.threads += R.ndone - before;
}

/* blocks in the chosen order: an affine bijection of 0..total-1 for `shuffled` */
static inline unsigned long long mix(unsigned long long x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static void check_launch(const LaunchConfig &c, const Site &s)
{
    const dim3 g = c.grid, b = c.block;
    const unsigned long long threads = (unsigned long long)b.x * b.y * b.z;
    const char *bad = nullptr;
    char why[160];
    if (!g.x || !g.y || !g.z) bad = "a grid dimension is 0";
    else if (!b.x || !b.y || !b.z) bad = "a block dimension is 0";
    else if (b.x > 1024 || b.y > 1024) bad = "block x and y may be at most 1024";
    else if (b.z > 64) bad = "block z may be at most 64";
    else if (threads > 1024) {
        snprintf(why, sizeof why, "%llu threads per block: at most 1024", threads);
        bad = why;
    } else if (g.x > 2147483647u) bad = "grid x may be at most 2^31-1";
    else if (g.y > 65535 || g.z > 65535) bad = "grid y and z may be at most 65535";
    else if (c.shmem > kSharedLimit) {
        snprintf(why, sizeof why, "%zu bytes of dynamic shared memory: at most %zu", c.shmem, kSharedLimit);
        bad = why;
    }
    if (bad)
        fatal("invalid launch of kernel %s at %s:%d: grid (%u,%u,%u), block (%u,%u,%u), %zu bytes "
              "of shared memory: %s", s.kernel, s.file, s.line, g.x, g.y, g.z, b.x, b.y, b.z, c.shmem, bad);
    if (!stream_valid(c.stream))
        fatal("kernel %s launched at %s:%d on stream %p, which is not a live stream", s.kernel,
              s.file, s.line, (void *)c.stream);
}

void launch_kernel(const LaunchConfig &cfg, const Site &site, void (*run)(void *), void *ctx,
                   const void *const *ptrs, const int *argi, int nptrs)
{
    init();
    if (R.cur) fatal("kernel %s launched at %s:%d from inside a kernel (dynamic parallelism is "
                     "not emulated)", site.kernel, site.file, site.line);
    std::lock_guard<std::mutex> lock(launch_mu);
    check_launch(cfg, site);

    /* the pointer arguments: device-accessible memory or NULL */
    std::vector<Alloc> used;
    {
        std::lock_guard<std::mutex> g(table_mu);
        for (int i = 0; i < nptrs; ++i) {
            if (!ptrs[i]) continue;
            const Alloc *al = lookup(ptrs[i]);
            if (!al)
                fatal("argument %d of kernel %s (launched at %s:%d) is %p, which is not device "
                      "memory (nor managed or pinned): a host pointer, or freed device memory",
                      argi[i] + 1, site.kernel, site.file, site.line, ptrs[i]);
            used.push_back(*al);
        }
    }
    if (settings.verbose)
        fprintf(stderr, "cuda-emu: launch %s at %s:%d grid (%u,%u,%u) block (%u,%u,%u) shmem %zu\n",
                site.kernel, site.file, site.line, cfg.grid.x, cfg.grid.y, cfg.grid.z, cfg.block.x,
                cfg.block.y, cfg.block.z, cfg.shmem);

    const unsigned n = cfg.block.x * cfg.block.y * cfg.block.z;
    R.active = true;
    R.cfg = &cfg;
    R.site = &site;
    R.fn = run;
    R.ctx = ctx;
    R.nthreads = n;
    R.order.resize(n);
    R.by_tid.assign(n, nullptr);
    R.done.assign(n, 0);
    ++R.launch_no;
    blockDim = cfg.block;
    gridDim = cfg.grid;
#ifdef CUDA_EMU_ASAN
    /* dynamic shared memory past what the launch asked for is off limits */
    __asan_unpoison_memory_region(cuda_emu_dynamic_smem, sizeof cuda_emu_dynamic_smem);
    __asan_poison_memory_region(cuda_emu_dynamic_smem + cfg.shmem, sizeof cuda_emu_dynamic_smem - cfg.shmem);
#endif
    const int order = settings.order;
    for (unsigned i = 0; i < n; ++i) R.order[i] = (int)(order == CUDA_EMU_REVERSED ? n - 1 - i : i);

    const unsigned long long gx = cfg.grid.x, gy = cfg.grid.y, total = gx * gy * cfg.grid.z;
    unsigned long long a = 1, c = 0;
    if (order == CUDA_EMU_SHUFFLED && total > 1) {
        unsigned long long h = mix(settings.seed ^ mix(R.launch_no));
        c = h % total;
        a = (mix(h) % (total - 1)) + 1;
        while (std::gcd(a, total) != 1) a = a % (total - 1) + 1;
    }
    for (unsigned long long i = 0; i < total; ++i) {
        unsigned long long b = i;
        if (order == CUDA_EMU_REVERSED) b = total - 1 - i;
        else if (order == CUDA_EMU_SHUFFLED)
            b = (unsigned long long)(((unsigned __int128)a * i + c) % total);
        blockIdx.x = (unsigned)(b % gx);
        blockIdx.y = (unsigned)(b / gx % gy);
        blockIdx.z = (unsigned)(b / (gx * gy));
        if (order == CUDA_EMU_SHUFFLED) { /* a new permutation of the threads for every block */
            unsigned long long h = mix(settings.seed ^ mix(R.launch_no * 0x100000001b3ull + b));
            for (unsigned j = 0; j < n; ++j) R.order[j] = (int)j;
            for (unsigned j = n; j > 1; --j) {
                h = mix(h);
                std::swap(R.order[j - 1], R.order[h % j]);
            }
        }
        run_block();
    }
#ifdef CUDA_EMU_ASAN
    __asan_unpoison_memory_region(cuda_emu_dynamic_smem, sizeof cuda_emu_dynamic_smem);
#endif
    R.active = false;
    ++stats.launches;

    char what[300];
    snprintf(what, sizeof what, "kernel %s (launched at %s:%d)", site.kernel, site.file, site.line);
    for (const Alloc &al : used) check_guards(al, what);
}

/* ---- built with ASan: its reports name the emulated thread too ----------------------------- */
#ifdef CUDA_EMU_ASAN
static void asan_report(const char *)
{
    if (R.cur && R.cur->tid >= 0)
        fprintf(stderr, "cuda-emu: the report above is from %s\n", where_thread(R.cur->tid).c_str());
}
#endif
static void asan_hook()
{
#ifdef CUDA_EMU_ASAN
    __asan_set_error_report_callback(asan_report);
#endif
}

/* ---- a stack overflow in a kernel thread hits a guard page: say so ------------------------- */
#ifndef CUDA_EMU_ASAN
static struct sigaction old_segv;
static void on_segv(int sig, siginfo_t *si, void *uc)
{
    const char *addr = (const char *)si->si_addr;
    for (size_t i = 0; i < pool_size; ++i) {
        const Fiber *f = pool[i];
        if (addr >= f->stack.lo - page_size && addr < f->stack.lo) {
            static const char msg[] = "cuda-emu: stack overflow in a kernel thread (each has "
                                      "CUDA_EMU_STACK_KB of stack; raise it)\n";
            ssize_t r = write(2, msg, sizeof msg - 1);
            (void)r;
            break;
        }
    }
    sigaction(SIGSEGV, &old_segv, nullptr); /* and fault again, the usual way */
    (void)sig;
    (void)uc;
}
#endif

static void stack_overflow_handler_install()
{
#ifndef CUDA_EMU_ASAN
    struct sigaction cur;
    if (sigaction(SIGSEGV, nullptr, &cur) != 0 || cur.sa_handler != SIG_DFL) return; /* someone else's */
    static char altstack[64 * 1024];
    stack_t ss;
    ss.ss_sp = altstack;
    ss.ss_size = sizeof altstack;
    ss.ss_flags = 0;
    sigaltstack(&ss, nullptr);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigaction(SIGSEGV, &sa, &old_segv);
#endif
}

/* ---- copies -------------------------------------------------------------------------------- */
static cudaError_t last_error = cudaSuccess;
static cudaError_t set_error(cudaError_t e)
{
    if (e != cudaSuccess) last_error = e;
    return e;
}

static const char *kind_str(cudaMemcpyKind k)
{
    switch (k) {
    case cudaMemcpyHostToHost: return "cudaMemcpyHostToHost";
    case cudaMemcpyHostToDevice: return "cudaMemcpyHostToDevice";
    case cudaMemcpyDeviceToHost: return "cudaMemcpyDeviceToHost";
    case cudaMemcpyDeviceToDevice: return "cudaMemcpyDeviceToDevice";
    case cudaMemcpyDefault: return "cudaMemcpyDefault";
    }
    return "an invalid cudaMemcpyKind";
}

/* one side of a copy: where p points, and that [p, p + n) fits its allocation */
static void check_side(const char *api, const char *side, const void *p, size_t n, cudaMemcpyKind kind,
                       bool want_device, bool want_host)
{
    if (!p) fatal("%s(%s): the %s is NULL (%zu bytes)", api, kind_str(kind), side, n);
    AllocInfo a = find_alloc(p);
    bool host_ok = !a.found || a.kind != MemKind::Device; /* managed and pinned memory are both */
    bool dev_ok = a.found;                                /* device, managed, pinned */
    if (want_device && !dev_ok)
        fatal("%s(%s): the %s %p is not device memory (a host pointer, or freed device memory)",
              api, kind_str(kind), side, p);
    if (want_host && !host_ok)
        fatal("%s(%s): the %s %p is device memory (the kind says host)", api, kind_str(kind), side, p);
    if (a.found && (const char *)p + n > a.base + a.size)
        fatal("%s(%s): %zu bytes at the %s %p run %zu bytes past the end of its allocation (%s of "
              "%zu bytes at %p)", api, kind_str(kind), n, side, p,
              (size_t)((const char *)p + n - (a.base + a.size)), kind_name(a.kind), a.size, (void *)a.base);
}

static cudaError_t copy(void *dst, const void *src, size_t n, cudaMemcpyKind kind, const char *api)
{
    init();
    if (in_kernel()) fatal("%s called inside a kernel", api);
    if (n == 0) return cudaSuccess;
    switch (kind) {
    case cudaMemcpyHostToHost:
        check_side(api, "destination", dst, n, kind, false, true);
        check_side(api, "source", src, n, kind, false, true);
        break;
    case cudaMemcpyHostToDevice:
        check_side(api, "destination", dst, n, kind, true, false);
        check_side(api, "source", src, n, kind, false, true);
        break;
    case cudaMemcpyDeviceToHost:
        check_side(api, "destination", dst, n, kind, false, true);
        check_side(api, "source", src, n, kind, true, false);
        break;
    case cudaMemcpyDeviceToDevice:
        check_side(api, "destination", dst, n, kind, true, false);
        check_side(api, "source", src, n, kind, true, false);
        break;
    case cudaMemcpyDefault:
        check_side(api, "destination", dst, n, kind, false, false);
        check_side(api, "source", src, n, kind, false, false);
        break;
    default:
        fatal("%s: kind %d is not a cudaMemcpyKind", api, (int)kind);
    }
    memmove(dst, src, n);
    return cudaSuccess;
}

} // namespace cuda_emu

using namespace cuda_emu;

/* ---- the runtime API ------------------------------------------------------------------------ */
extern "C" {

cudaError_t cudaGetDeviceCount(int *count)
{
    init();
    if (count) *count = 1;
    return cudaSuccess;
}
static int current_device = 0;
cudaError_t cudaGetDevice(int *device)
{
    if (device) *device = current_device;
    return cudaSuccess;
}
cudaError_t cudaSetDevice(int device)
{
    init();
    if (device != 0) return set_error(cudaErrorInvalidDevice);
    current_device = device;
    return cudaSuccess;
}
cudaError_t cudaSetDeviceFlags(unsigned int) { return cudaSuccess; }

cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp *p, int device)
{
    init();
    if (device != 0) return set_error(cudaErrorInvalidDevice);
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "cuda-emu (CUDA emulated on the CPU)");
    p->totalGlobalMem = kTotalMem;
    p->sharedMemPerBlock = kSharedLimit;
    p->sharedMemPerBlockOptin = kSharedLimit;
    p->regsPerBlock = 65536;
    p->warpSize = 32;
    p->memPitch = 2147483647;
    p->maxThreadsPerBlock = 1024;
    p->maxThreadsDim[0] = 1024; p->maxThreadsDim[1] = 1024; p->maxThreadsDim[2] = 64;
    p->maxGridSize[0] = 2147483647; p->maxGridSize[1] = 65535; p->maxGridSize[2] = 65535;
    p->clockRate = 1000000;
    p->totalConstMem = 65536;
    p->major = 8;
    p->minor = 0;
    p->textureAlignment = 512;
    p->multiProcessorCount = settings.sms;
    p->canMapHostMemory = 1;
    p->unifiedAddressing = 1;
    p->managedMemory = 1;
    p->memoryClockRate = 1000000;
    p->memoryBusWidth = 256;
    p->l2CacheSize = 4 << 20;
    p->maxThreadsPerMultiProcessor = 2048;
    p->sharedMemPerMultiprocessor = 64 * 1024;
    p->regsPerMultiprocessor = 65536;
    p->asyncEngineCount = 1;
    return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int *value, enum cudaDeviceAttr attr, int device)
{
    init();
    if (device != 0) return set_error(cudaErrorInvalidDevice);
    switch (attr) {
    case cudaDevAttrMaxThreadsPerBlock: *value = 1024; break;
    case cudaDevAttrMaxBlockDimX: case cudaDevAttrMaxBlockDimY: *value = 1024; break;
    case cudaDevAttrMaxBlockDimZ: *value = 64; break;
    case cudaDevAttrMaxGridDimX: *value = 2147483647; break;
    case cudaDevAttrMaxGridDimY: case cudaDevAttrMaxGridDimZ: *value = 65535; break;
    case cudaDevAttrMaxSharedMemoryPerBlock: *value = (int)kSharedLimit; break;
    case cudaDevAttrTotalConstantMemory: *value = 65536; break;
    case cudaDevAttrWarpSize: *value = 32; break;
    case cudaDevAttrMaxRegistersPerBlock: *value = 65536; break;
    case cudaDevAttrClockRate: *value = 1000000; break;
    case cudaDevAttrMultiProcessorCount: *value = settings.sms; break;
    case cudaDevAttrComputeCapabilityMajor: *value = 8; break;
    case cudaDevAttrComputeCapabilityMinor: *value = 0; break;
    case cudaDevAttrMaxThreadsPerMultiProcessor: *value = 2048; break;
    case cudaDevAttrMaxSharedMemoryPerMultiprocessor: *value = 64 * 1024; break;
    case cudaDevAttrManagedMemory: *value = 1; break;
    default: return set_error(cudaErrorInvalidValue);
    }
    return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize(void) { init(); return cudaSuccess; }
cudaError_t cudaThreadSynchronize(void) { return cudaSuccess; }
cudaError_t cudaDeviceReset(void) { return cudaSuccess; }
cudaError_t cudaDeviceSetLimit(enum cudaLimit, size_t) { return cudaSuccess; }
cudaError_t cudaDeviceGetLimit(size_t *value, enum cudaLimit limit)
{
    *value = limit == cudaLimitStackSize ? settings.stack_bytes : 1 << 20;
    return cudaSuccess;
}
cudaError_t cudaDeviceSetCacheConfig(enum cudaFuncCache) { return cudaSuccess; }
cudaError_t cudaRuntimeGetVersion(int *v) { *v = CUDART_VERSION; return cudaSuccess; }
cudaError_t cudaDriverGetVersion(int *v) { *v = CUDART_VERSION; return cudaSuccess; }

cudaError_t cudaGetLastError(void)
{
    cudaError_t e = last_error;
    last_error = cudaSuccess;
    return e;
}
cudaError_t cudaPeekAtLastError(void) { return last_error; }

const char *cudaGetErrorName(cudaError_t e)
{
    switch (e) {
#define CUDA_EMU_NAME(x) case x: return #x;
    CUDA_EMU_NAME(cudaSuccess)
    CUDA_EMU_NAME(cudaErrorInvalidValue)
    CUDA_EMU_NAME(cudaErrorMemoryAllocation)
    CUDA_EMU_NAME(cudaErrorInitializationError)
    CUDA_EMU_NAME(cudaErrorCudartUnloading)
    CUDA_EMU_NAME(cudaErrorProfilerDisabled)
    CUDA_EMU_NAME(cudaErrorInvalidConfiguration)
    CUDA_EMU_NAME(cudaErrorInvalidPitchValue)
    CUDA_EMU_NAME(cudaErrorInvalidSymbol)
    CUDA_EMU_NAME(cudaErrorInvalidHostPointer)
    CUDA_EMU_NAME(cudaErrorInvalidDevicePointer)
    CUDA_EMU_NAME(cudaErrorInvalidMemcpyDirection)
    CUDA_EMU_NAME(cudaErrorNoDevice)
    CUDA_EMU_NAME(cudaErrorInvalidDevice)
    CUDA_EMU_NAME(cudaErrorInvalidResourceHandle)
    CUDA_EMU_NAME(cudaErrorNotReady)
    CUDA_EMU_NAME(cudaErrorIllegalAddress)
    CUDA_EMU_NAME(cudaErrorLaunchFailure)
    CUDA_EMU_NAME(cudaErrorNotSupported)
    CUDA_EMU_NAME(cudaErrorStreamCaptureUnsupported)
    CUDA_EMU_NAME(cudaErrorUnknown)
#undef CUDA_EMU_NAME
    }
    return "cudaErrorUnknown";
}

const char *cudaGetErrorString(cudaError_t e)
{
    switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorNotReady: return "device not ready";
    case cudaErrorNotSupported: return "operation not supported (by cuda-emu)";
    case cudaErrorStreamCaptureUnsupported: return "operation not permitted when stream is capturing (cuda-emu: CUDA graphs are not emulated)";
    default: return cudaGetErrorName(e);
    }
}

cudaError_t cudaMalloc(void **p, size_t size) { return set_error(allocate(p, size, MemKind::Device, "cudaMalloc")); }
cudaError_t cudaMallocManaged(void **p, size_t size, unsigned int)
{
    return set_error(allocate(p, size, MemKind::Managed, "cudaMallocManaged"));
}
cudaError_t cudaMallocHost(void **p, size_t size) { return set_error(allocate(p, size, MemKind::Pinned, "cudaMallocHost")); }
cudaError_t cudaHostAlloc(void **p, size_t size, unsigned int)
{
    return set_error(allocate(p, size, MemKind::Pinned, "cudaHostAlloc"));
}
cudaError_t cudaFree(void *p) { return release(p, false, "cudaFree"); }
cudaError_t cudaFreeHost(void *p) { return release(p, true, "cudaFreeHost"); }

cudaError_t cudaHostRegister(void *p, size_t size, unsigned int)
{
    init();
    if (!p || !size) return set_error(cudaErrorInvalidValue);
    std::lock_guard<std::mutex> g(table_mu);
    if (lookup(p) || lookup((char *)p + size - 1))
        fatal("cudaHostRegister(%p, %zu): overlaps memory the table knows already", p, size);
    table[(uintptr_t)p] = Alloc{(char *)p, size, MemKind::Registered, nullptr};
    return cudaSuccess;
}
cudaError_t cudaHostUnregister(void *p)
{
    std::lock_guard<std::mutex> g(table_mu);
    auto it = table.find((uintptr_t)p);
    if (it == table.end() || it->second.kind != MemKind::Registered)
        fatal("cudaHostUnregister(%p): not registered with cudaHostRegister", p);
    table.erase(it);
    return cudaSuccess;
}
cudaError_t cudaHostGetDevicePointer(void **pd, void *ph, unsigned int)
{
    AllocInfo a = find_alloc(ph);
    if (!a.found || (a.kind != MemKind::Pinned && a.kind != MemKind::Registered))
        fatal("cudaHostGetDevicePointer(%p): not pinned or registered host memory", ph);
    *pd = ph;
    return cudaSuccess;
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t n, enum cudaMemcpyKind kind)
{
    return copy(dst, src, n, kind, "cudaMemcpy");
}
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t n, enum cudaMemcpyKind kind, cudaStream_t s)
{
    need_stream(s, "cudaMemcpyAsync");
    return copy(dst, src, n, kind, "cudaMemcpyAsync");
}
cudaError_t cudaMemcpy2D(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width,
                         size_t height, enum cudaMemcpyKind kind)
{
    if (width > dpitch || width > spitch) return set_error(cudaErrorInvalidPitchValue);
    for (size_t r = 0; r < height; ++r)
        copy((char *)dst + r * dpitch, (const char *)src + r * spitch, width, kind, "cudaMemcpy2D");
    return cudaSuccess;
}
cudaError_t cudaMemcpy2DAsync(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width,
                              size_t height, enum cudaMemcpyKind kind, cudaStream_t s)
{
    need_stream(s, "cudaMemcpy2DAsync");
    return cudaMemcpy2D(dst, dpitch, src, spitch, width, height, kind);
}
cudaError_t cudaMemset(void *p, int value, size_t n)
{
    init();
    if (in_kernel()) fatal("cudaMemset called inside a kernel");
    if (n == 0) return cudaSuccess;
    check_device_range(p, n, "cudaMemset");
    memset(p, value, n);
    return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void *p, int value, size_t n, cudaStream_t s)
{
    need_stream(s, "cudaMemsetAsync");
    return cudaMemset(p, value, n);
}
cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total)
{
    std::lock_guard<std::mutex> g(table_mu);
    if (total) *total = kTotalMem;
    if (free_bytes) *free_bytes = device_bytes < kTotalMem ? kTotalMem - device_bytes : 0;
    return cudaSuccess;
}
cudaError_t cudaMemAdvise(const void *p, size_t n, enum cudaMemoryAdvise, int)
{
    check_device_range(p, n, "cudaMemAdvise");
    return cudaSuccess;
}
cudaError_t cudaMemPrefetchAsync(const void *p, size_t n, int, cudaStream_t s)
{
    need_stream(s, "cudaMemPrefetchAsync");
    check_device_range(p, n, "cudaMemPrefetchAsync");
    return cudaSuccess;
}
cudaError_t cudaPointerGetAttributes(struct cudaPointerAttributes *attr, const void *p)
{
    AllocInfo a = find_alloc(p);
    attr->device = 0;
    attr->devicePointer = nullptr;
    attr->hostPointer = nullptr;
    if (!a.found) {
        attr->type = cudaMemoryTypeUnregistered;
        return cudaSuccess;
    }
    attr->type = a.kind == MemKind::Device ? cudaMemoryTypeDevice
               : a.kind == MemKind::Managed ? cudaMemoryTypeManaged : cudaMemoryTypeHost;
    attr->devicePointer = (void *)p;
    if (a.kind != MemKind::Device) attr->hostPointer = (void *)p;
    return cudaSuccess;
}
cudaError_t cudaMemcpyToSymbol_emu(void *symbol, const void *src, size_t n, size_t offset)
{
    memcpy((char *)symbol + offset, src, n);
    return cudaSuccess;
}
cudaError_t cudaMemcpyFromSymbol_emu(void *dst, const void *symbol, size_t n, size_t offset)
{
    memcpy(dst, (const char *)symbol + offset, n);
    return cudaSuccess;
}

/* streams */
static const unsigned kStreamMagic = 0x57524d53u, kEventMagic = 0x45564e54u;
struct CUstream_st { unsigned magic, flags; };
struct CUevent_st { unsigned magic, flags; bool recorded; double t; };

cudaError_t cudaStreamCreateWithFlags(cudaStream_t *ps, unsigned int flags)
{
    init();
    cudaStream_t s = new CUstream_st{kStreamMagic, flags};
    std::lock_guard<std::mutex> g(handle_mu);
    streams.insert(s);
    *ps = s;
    return cudaSuccess;
}
cudaError_t cudaStreamCreate(cudaStream_t *ps) { return cudaStreamCreateWithFlags(ps, cudaStreamDefault); }
cudaError_t cudaStreamCreateWithPriority(cudaStream_t *ps, unsigned int flags, int)
{
    return cudaStreamCreateWithFlags(ps, flags);
}
cudaError_t cudaStreamDestroy(cudaStream_t s)
{
    std::lock_guard<std::mutex> g(handle_mu);
    if (!streams.erase(s)) fatal("cudaStreamDestroy(%p): not a live stream", (void *)s);
    delete s;
    return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t s) { need_stream(s, "cudaStreamSynchronize"); return cudaSuccess; }
cudaError_t cudaStreamQuery(cudaStream_t s) { need_stream(s, "cudaStreamQuery"); return cudaSuccess; }

static CUevent_st *need_event(cudaEvent_t e, const char *api)
{
    std::lock_guard<std::mutex> g(handle_mu);
    if (!events.count((const void *)e)) fatal("%s: event %p is not a live event", api, (void *)e);
    return e;
}
cudaError_t cudaStreamWaitEvent(cudaStream_t s, cudaEvent_t e, unsigned int)
{
    need_stream(s, "cudaStreamWaitEvent");
    need_event(e, "cudaStreamWaitEvent");
    return cudaSuccess;
}
cudaError_t cudaEventCreateWithFlags(cudaEvent_t *pe, unsigned int flags)
{
    init();
    cudaEvent_t e = new CUevent_st{kEventMagic, flags, false, 0};
    std::lock_guard<std::mutex> g(handle_mu);
    events.insert(e);
    *pe = e;
    return cudaSuccess;
}
cudaError_t cudaEventCreate(cudaEvent_t *pe) { return cudaEventCreateWithFlags(pe, cudaEventDefault); }
cudaError_t cudaEventRecordWithFlags(cudaEvent_t e, cudaStream_t s, unsigned int)
{
    need_stream(s, "cudaEventRecord");
    CUevent_st *ev = need_event(e, "cudaEventRecord");
    ev->recorded = true;
    ev->t = std::chrono::duration<double, std::milli>(
                std::chrono::steady_clock::now().time_since_epoch()).count();
    return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s) { return cudaEventRecordWithFlags(e, s, 0); }
cudaError_t cudaEventQuery(cudaEvent_t e) { need_event(e, "cudaEventQuery"); return cudaSuccess; }
cudaError_t cudaEventSynchronize(cudaEvent_t e) { need_event(e, "cudaEventSynchronize"); return cudaSuccess; }
cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t a, cudaEvent_t b)
{
    CUevent_st *x = need_event(a, "cudaEventElapsedTime"), *y = need_event(b, "cudaEventElapsedTime");
    if (!x->recorded || !y->recorded || (x->flags & cudaEventDisableTiming) || (y->flags & cudaEventDisableTiming))
        return set_error(cudaErrorInvalidResourceHandle);
    *ms = (float)(y->t - x->t);
    return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t e)
{
    need_event(e, "cudaEventDestroy");
    std::lock_guard<std::mutex> g(handle_mu);
    events.erase(e);
    delete e;
    return cudaSuccess;
}

/* CUDA graphs and OpenGL interop: not emulated */
cudaError_t cudaStreamBeginCapture(cudaStream_t s, enum cudaStreamCaptureMode)
{
    need_stream(s, "cudaStreamBeginCapture");
    warn("CUDA graphs are not emulated: cudaStreamBeginCapture returns cudaErrorStreamCaptureUnsupported");
    return set_error(cudaErrorStreamCaptureUnsupported);
}
cudaError_t cudaStreamEndCapture(cudaStream_t, cudaGraph_t *g)
{
    if (g) *g = nullptr;
    return set_error(cudaErrorStreamCaptureUnsupported);
}
cudaError_t cudaGraphInstantiate(cudaGraphExec_t *e, cudaGraph_t, ...)
{
    if (e) *e = nullptr;
    return set_error(cudaErrorNotSupported);
}
cudaError_t cudaGraphLaunch(cudaGraphExec_t, cudaStream_t) { return set_error(cudaErrorNotSupported); }
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t) { return cudaSuccess; }
cudaError_t cudaGraphDestroy(cudaGraph_t) { return cudaSuccess; }
cudaError_t cudaGraphicsMapResources(int, cudaGraphicsResource_t *, cudaStream_t) { return set_error(cudaErrorNotSupported); }
cudaError_t cudaGraphicsUnmapResources(int, cudaGraphicsResource_t *, cudaStream_t) { return set_error(cudaErrorNotSupported); }
cudaError_t cudaGraphicsUnregisterResource(cudaGraphicsResource_t) { return set_error(cudaErrorNotSupported); }
cudaError_t cudaGraphicsSubResourceGetMappedArray(cudaArray_t *, cudaGraphicsResource_t, unsigned int, unsigned int)
{
    return set_error(cudaErrorNotSupported);
}
cudaError_t cudaMemcpy2DFromArray(void *, size_t, cudaArray_t, size_t, size_t, size_t, size_t, enum cudaMemcpyKind)
{
    return set_error(cudaErrorNotSupported);
}
cudaError_t cudaProfilerStart(void) { return cudaSuccess; }
cudaError_t cudaProfilerStop(void) { return cudaSuccess; }

/* the driver API (cuda.h) */
CUresult cuInit(unsigned int) { init(); return CUDA_SUCCESS; }
CUresult cuDriverGetVersion(int *v) { *v = CUDA_VERSION; return CUDA_SUCCESS; }
CUresult cuDeviceGet(CUdevice *d, int ordinal)
{
    if (ordinal != 0) return CUDA_ERROR_INVALID_VALUE;
    *d = 0;
    return CUDA_SUCCESS;
}
CUresult cuDeviceGetCount(int *n) { *n = 1; return CUDA_SUCCESS; }
static int the_context;
CUresult cuCtxGetCurrent(CUcontext *c) { *c = (CUcontext)(void *)&the_context; return CUDA_SUCCESS; }
CUresult cuCtxSetCurrent(CUcontext) { return CUDA_SUCCESS; }
CUresult cuCtxSynchronize(void) { return CUDA_SUCCESS; }
CUresult cuGetErrorString(CUresult e, const char **s)
{
    *s = e == CUDA_SUCCESS ? "no error" : "cuda-emu driver error";
    return CUDA_SUCCESS;
}

/* the emulator's controls (cuda_emu.h) */
void cuda_emu_set_order(int order, unsigned long long seed)
{
    init();
    if (order < CUDA_EMU_FORWARD || order > CUDA_EMU_SHUFFLED) fatal("cuda_emu_set_order(%d): no such order", order);
    std::lock_guard<std::mutex> lock(launch_mu);
    settings.order = order;
    settings.seed = seed;
}
int cuda_emu_get_order(void) { init(); return settings.order; }
const char *cuda_emu_order_name(int order)
{
    return order == CUDA_EMU_FORWARD ? "forward" : order == CUDA_EMU_REVERSED ? "reversed"
         : order == CUDA_EMU_SHUFFLED ? "shuffled" : "?";
}
void cuda_emu_get_stats(struct cuda_emu_stats *s)
{
    s->launches = stats.launches;
    s->blocks = stats.blocks;
    s->threads = stats.threads;
    s->full_blocks = stats.full_blocks;
    s->switches = stats.switches;
    s->gemms = stat_gemms;
    std::lock_guard<std::mutex> g(table_mu);
    s->device_bytes = device_bytes;
    s->device_bytes_peak = device_bytes_peak;
}

} /* extern "C" */
