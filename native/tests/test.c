/* Test runner: runs registered tests (optionally filtered by substrings), prints a total. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test.h"

#define MAX_TESTS 256
typedef struct test_entry {
    const char *name;
    test_fn fn;
} test_entry;
static test_entry tests[MAX_TESTS];
static int test_count;
static bool current_failed;
bool g_quick;

void test_register(const char *name, test_fn fn) {
    if (test_count < MAX_TESTS) tests[test_count++] = (test_entry){name, fn};
}

void test_fail(const char *file, int line, const char *fmt, ...) {
    current_failed = true;
    fprintf(stderr, "    FAILED at %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

bool test_failed(void) { return current_failed; }

static int by_name(const void *a, const void *b) {
    return strcmp(((const test_entry *)a)->name, ((const test_entry *)b)->name);
}

int main(int argc, char **argv) {
    const char *filters[32];
    int nfilters = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) g_quick = true;
        else if (nfilters < 32) filters[nfilters++] = argv[i];
    }
    qsort(tests, (size_t)test_count, sizeof tests[0], by_name);
    int passed = 0, failed = 0;
    for (int i = 0; i < test_count; i++) {
        bool selected = nfilters == 0;
        for (int f = 0; f < nfilters && !selected; f++) selected = strstr(tests[i].name, filters[f]) != NULL;
        if (!selected) continue;
        current_failed = false;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        tests[i].fn();
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        printf("%s %s (%.0f ms)\n", current_failed ? "FAIL" : "ok  ", tests[i].name, ms);
        fflush(stdout);
        if (current_failed) failed++;
        else passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
