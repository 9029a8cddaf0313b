/* A small test framework: TEST(name) registers a test; CHECK/CHECK_EQ fail it with file:line. */
#ifndef COQUIC_TEST_H
#define COQUIC_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef void (*test_fn)(void);
void test_register(const char *name, test_fn fn);
void test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool test_failed(void);

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

#endif
