/*
 * A small test framework: TEST(name) registers a test (constructor attribute); CHECK/CHECK_EQ
 * fail it with file:line and the expression, then return from the test function.
 *
 * Command line: [--quick] [--timeout=SECONDS] [--no-fork] [substring ...]. Tests whose name
 * contains any substring run (all when none is given). The run ends with exactly one summary
 * line "N passed, N failed" and exits 1 when anything failed. Each test runs in a forked child
 * (so an engine abort or crash fails one test, not the run; --no-fork runs in-process, e.g.
 * under gdb). Every test is bounded: tests use virtual-time limits and iteration caps, and a
 * wall-clock watchdog (default 600 s per test, COQUIC_TEST_TIMEOUT or --timeout) fails a test
 * that still hangs.
 */
#ifndef COQUIC_TEST_H
#define COQUIC_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef void (*test_fn)(void);
void test_register(const char *name, test_fn fn);
void test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool test_failed(void);
/* Extra context printed (once per test) under the next failure, e.g. a seed. */
void test_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --quick: smaller sizes (valgrind runs use it). */
extern bool g_quick;

#define TEST(name)                                                                 \
    static void name(void);                                                        \
    __attribute__((constructor)) static void register_##name(void) { test_register(#name, name); } \
    static void name(void)

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) {                                                             \
            test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                     \
            return;                                                                \
        }                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                             \
    do {                                                                           \
        unsigned long long va_ = (unsigned long long)(a), vb_ = (unsigned long long)(b); \
        if (va_ != vb_) {                                                          \
            test_fail(__FILE__, __LINE__, "%s == %s (%llu != %llu)", #a, #b, va_, vb_); \
            return;                                                                \
        }                                                                          \
    } while (0)

/* Like CHECK but keeps going (for loops that should report every bad element once). */
#define EXPECT(cond)                                                               \
    do {                                                                           \
        if (!(cond)) test_fail(__FILE__, __LINE__, "EXPECT(%s)", #cond);           \
    } while (0)

/* 1 in an AddressSanitizer build: memory-size checks (RSS, mallinfo) are skipped there (it allocates differently). */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

#endif
