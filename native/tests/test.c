/* Test runner: runs registered tests (optionally filtered by substrings), prints a total. */
#include <signal.h>
#include <sys/wait.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

#define MAX_TESTS 512
typedef struct test_entry {
    const char *name;
    test_fn fn;
} test_entry;
static test_entry tests[MAX_TESTS];
static int test_count;
static bool current_failed;
static char current_note[256];
static const char *current_name;
static int passed, failed;
bool g_quick;

void test_register(const char *name, test_fn fn) {
    if (test_count < MAX_TESTS) tests[test_count++] = (test_entry){name, fn};
    else fprintf(stderr, "test.c: too many tests, %s dropped\n", name);
}

void test_note(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(current_note, sizeof current_note, fmt, ap);
    va_end(ap);
}

void test_fail(const char *file, int line, const char *fmt, ...) {
    current_failed = true;
    fprintf(stderr, "    FAILED at %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (current_note[0]) {
        fprintf(stderr, "    note: %s\n", current_note);
        current_note[0] = '\0';
    }
}

bool test_failed(void) { return current_failed; }

/* ---- watchdog: async-signal-safe output only -------------------------------------- */

static void put(const char *s) {
    ssize_t rc = write(STDOUT_FILENO, s, strlen(s));
    (void)rc;
}

static void put_int(int v) {
    char buf[16];
    int i = (int)sizeof buf;
    buf[--i] = '\0';
    do buf[--i] = (char)('0' + v % 10); while ((v /= 10) && i > 0);
    put(buf + i);
}

static void on_alarm(int sig) {
    (void)sig;
    put("FAIL ");
    put(current_name ? current_name : "?");
    put(" (wall-clock watchdog expired: the test hangs)\n");
    put_int(passed);
    put(" passed, ");
    put_int(failed + 1);
    put(" failed\n");
    _exit(1);
}

/* Runs one test in a child process so that an abort or a crash inside the engine fails that
 * test instead of ending the run; returns true when it passed. */
static bool run_forked(test_fn fn, unsigned timeout) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) { /* cannot fork: run in-process */
        alarm(timeout);
        fn();
        alarm(0);
        return !current_failed;
    }
    if (pid == 0) {
        signal(SIGALRM, SIG_DFL); /* a hang ends the child with SIGALRM */
        alarm(timeout);
        fn();
        fflush(stdout);
        fflush(stderr);
        /* A failed test returned early and leaked its pair: skip LeakSanitizer's report (noise).
         * A passing one uses exit(), so LeakSanitizer / valgrind check the child for leaks. */
        if (current_failed) _exit(1);
        exit(0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status) == 0;
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    fprintf(stderr, "    FAILED: %s\n", sig == SIGALRM ? "wall-clock watchdog expired (the test hangs)" : strsignal(sig));
    return false;
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const test_entry *)a)->name, ((const test_entry *)b)->name);
}

int main(int argc, char **argv) {
    const char *filters[32];
    int nfilters = 0;
    unsigned timeout = 600;
    bool fork_tests = true;
    const char *env = getenv("COQUIC_TEST_TIMEOUT");
    if (env && atoi(env) > 0) timeout = (unsigned)atoi(env);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) g_quick = true;
        else if (strcmp(argv[i], "--no-fork") == 0) fork_tests = false;
        else if (strncmp(argv[i], "--timeout=", 10) == 0 && atoi(argv[i] + 10) > 0) timeout = (unsigned)atoi(argv[i] + 10);
        else if (nfilters < 32) filters[nfilters++] = argv[i];
    }
    signal(SIGALRM, on_alarm);
    qsort(tests, (size_t)test_count, sizeof tests[0], by_name);
    for (int i = 0; i < test_count; i++) {
        bool selected = nfilters == 0;
        for (int f = 0; f < nfilters && !selected; f++) selected = strstr(tests[i].name, filters[f]) != NULL;
        if (!selected) continue;
        current_failed = false;
        current_note[0] = '\0';
        current_name = tests[i].name;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (fork_tests) {
            current_failed = !run_forked(tests[i].fn, timeout);
        } else {
            alarm(timeout);
            tests[i].fn();
            alarm(0);
        }
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
