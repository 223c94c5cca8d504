/* Key matching for `keys PATTERN` and the TUI filter: globs with * and ?, or a substring. */
#include <string.h>
#include <strings.h>

#include "kv.h"

static unsigned char fold(unsigned char c, bool case_insensitive)
{
    return case_insensitive && c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

bool kv_glob_has_wildcards(const char *pattern)
{
    return strpbrk(pattern, "*?") != NULL;
}

/* Iterative glob with single-star backtracking: linear in practice, never recursive. */
static bool glob_match(const char *p, const char *t, size_t n, bool ci)
{
    size_t ti = 0, star_t = 0;
    const char *star_p = NULL;
    while (ti < n) {
        if (*p == '*') {
            star_p = ++p;
            star_t = ti;
        } else if (*p && (*p == '?' || fold((unsigned char)*p, ci) == fold((unsigned char)t[ti], ci))) {
            p++;
            ti++;
        } else if (star_p) {
            p = star_p;
            ti = ++star_t;
        } else
            return false;
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

static bool substring_match(const char *pattern, const char *text, size_t n, bool ci)
{
    size_t m = strlen(pattern);
    if (m == 0)
        return true;
    if (!ci)
        return m <= n && memmem(text, n, pattern, m) != NULL;
    unsigned char first = fold((unsigned char)pattern[0], true);
    for (size_t i = 0; i + m <= n; i++) {
        if (fold((unsigned char)text[i], true) != first)
            continue;
        size_t j = 1;
        while (j < m && fold((unsigned char)text[i + j], true) == fold((unsigned char)pattern[j], true))
            j++;
        if (j == m)
            return true;
    }
    return false;
}

bool kv_glob_match(const char *pattern, const char *text, size_t text_len, bool substring,
                   bool case_insensitive)
{
    if (kv_glob_has_wildcards(pattern))
        return glob_match(pattern, text, text_len, case_insensitive);
    if (substring)
        return substring_match(pattern, text, text_len, case_insensitive);
    return strlen(pattern) == text_len && (case_insensitive ? strncasecmp(pattern, text, text_len) == 0
                                                            : memcmp(pattern, text, text_len) == 0);
}
