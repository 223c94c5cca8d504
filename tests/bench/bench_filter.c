/* The TUI key filter: kv_key_matcher (substring, case-insensitive) over an in-memory list of N
 * mixed-case keys, one pass per keystroke. The baseline is the fastest known way to do the same
 * case-insensitive substring search: a pre-lowercased copy of the keys and strstr. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define FILTER_PASSES 3

typedef struct key_list {
    char *arena;    /* every key, NUL-terminated, back to back */
    char *lowered;  /* the same, lowercased (baseline only) */
    size_t *offsets;
    uint16_t *lens;
    size_t count;
} key_list;

static const char *const patterns[] = {
    "42",        "order::00123", "nomatch-xyz", "PRODUCT", "user",       "session::a",
    "::9",       "cache",        "v2:ab",       "zz",      "3141",       "Order::1*",
    "*::12?4*",  "e",            "SESSION::0F",
};
#define NPATTERNS (sizeof patterns / sizeof patterns[0])

static uint64_t next_random(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return *state >> 33;
}

/* Keys of 13-40 bytes in the shapes real stores hold, in mixed case. */
static size_t make_key(char *out, size_t size, size_t i, uint64_t *rng)
{
    static const char *const categories[] = {"Books", "Garden", "Toys", "Kitchen", "Outdoor"};
    uint64_t r = next_random(rng);
    switch (i % 5) {
    case 0: return (size_t)snprintf(out, size, "user::%07zu", i);
    case 1:
        return (size_t)snprintf(out, size, "Order::%05llu-%03zu",
                                (unsigned long long)(r % 100000ULL), i % 1000);
    case 2:
        return (size_t)snprintf(out, size, "session::%010llx",
                                (unsigned long long)(r * 2654435761ULL % 0xffffffffffULL));
    case 3:
        return (size_t)snprintf(out, size, "PRODUCT:%s:%llu", categories[r % 5],
                                (unsigned long long)(r % 1000000ULL));
    default:
        return (size_t)snprintf(out, size, "cache:v2:%08llx:Page%zu", (unsigned long long)r,
                                i % 977);
    }
}

static void *xmalloc(size_t size)
{
    void *p = malloc(size);
    if (!p) {
        fputs("kvbench: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

static key_list make_keys(size_t count)
{
    key_list list = {.count = count};
    list.arena = xmalloc(count * 48);
    list.lowered = xmalloc(count * 48);
    list.offsets = xmalloc(count * sizeof *list.offsets);
    list.lens = xmalloc(count * sizeof *list.lens);
    uint64_t rng = 42;
    size_t used = 0;
    for (size_t i = 0; i < count; i++) {
        size_t len = make_key(list.arena + used, 48, i, &rng);
        list.offsets[i] = used;
        list.lens[i] = (uint16_t)len;
        for (size_t j = 0; j <= len; j++)
            list.lowered[used + j] = (char)tolower((unsigned char)list.arena[used + j]);
        used += len + 1;
    }
    return list;
}

static void free_keys(key_list *list)
{
    free(list->arena);
    free(list->lowered);
    free(list->offsets);
    free(list->lens);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *values, size_t n)
{
    qsort(values, n, sizeof *values, compare_doubles);
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* The median of a few passes of FILTER over every key; *matches is the last pass's count. */
static double time_passes(const key_list *list, const char *pattern, bool baseline,
                          size_t *matches)
{
    double passes[FILTER_PASSES];
    char lowered_pattern[64];
    size_t n = strlen(pattern);
    for (size_t i = 0; i <= n && i < sizeof lowered_pattern; i++)
        lowered_pattern[i] = (char)tolower((unsigned char)pattern[i]);
    kv_key_matcher matcher;
    kv_key_matcher_init(&matcher, pattern, true, true);
    for (int pass = 0; pass < FILTER_PASSES; pass++) {
        size_t found = 0;
        double start = bench_now();
        for (size_t i = 0; i < list->count; i++) {
            found += baseline
                         ? strstr(list->lowered + list->offsets[i], lowered_pattern) != NULL
                         : kv_key_matcher_match(&matcher, list->arena + list->offsets[i],
                                                list->lens[i]);
        }
        passes[pass] = bench_now() - start;
        *matches = found;
    }
    return median(passes, FILTER_PASSES);
}

static void print_filter_row(double filter_ms, double baseline_ms)
{
    bench_row row = {.what = "key filter (median of 15 patterns)", .verdict = filter_ms <= 20.0};
    snprintf(row.measured, sizeof row.measured, "%.1f ms", filter_ms);
    snprintf(row.baseline, sizeof row.baseline, "%.1f ms lower+strstr", baseline_ms);
    snprintf(row.ratio, sizeof row.ratio, "%.2fx", filter_ms / baseline_ms);
    snprintf(row.bar, sizeof row.bar, "<= 20 ms");
    bench_print_row(&row);
}

void bench_filter(const bench_config *config)
{
    key_list list = make_keys(config->docs);
    double filter[NPATTERNS], baseline[NPATTERNS];
    size_t nbaseline = 0;
    char detail[1024] = "";
    for (size_t p = 0; p < NPATTERNS; p++) {
        size_t matches = 0, used = strlen(detail);
        filter[p] = time_passes(&list, patterns[p], false, &matches) * 1e3;
        if (!kv_glob_has_wildcards(patterns[p])) {
            size_t expected = 0;
            baseline[nbaseline++] = time_passes(&list, patterns[p], true, &expected) * 1e3;
            if (expected != matches)
                fprintf(stderr, "kvbench: filter '%s' found %zu keys, strstr %zu\n",
                        patterns[p], matches, expected);
        }
        snprintf(detail + used, sizeof detail - used, "%s%s %.0f", p ? ", " : "", patterns[p],
                 filter[p]);
    }
    print_filter_row(median(filter, NPATTERNS), median(baseline, nbaseline));
    printf("%-40s per pattern (ms): %s\n", "", detail);
    free_keys(&list);
}
