/* Key matching for `keys PATTERN` and the TUI filter: globs with * and ?, or a substring. */
#include <stdio.h>
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

void kv_key_matcher_init(kv_key_matcher *matcher, const char *pattern, bool substring,
                         bool case_insensitive)
{
    snprintf(matcher->pattern, sizeof matcher->pattern, "%s", pattern);
    matcher->len = strlen(matcher->pattern);
    matcher->glob = kv_glob_has_wildcards(matcher->pattern);
    matcher->substring = substring;
    matcher->case_insensitive = case_insensitive;
    matcher->first = fold((unsigned char)matcher->pattern[0], case_insensitive);
    for (size_t i = 0; case_insensitive && i < matcher->len; i++)
        matcher->pattern[i] = (char)fold((unsigned char)matcher->pattern[i], true);
}

/* Case-insensitive substring search against a pattern already folded to lower case. */
static bool folded_substring(const kv_key_matcher *m, const char *text, size_t n)
{
    const unsigned char *t = (const unsigned char *)text;
    for (size_t i = 0; i + m->len <= n; i++) {
        if (fold(t[i], true) != m->first)
            continue;
        size_t j = 1;
        while (j < m->len && fold(t[i + j], true) == (unsigned char)m->pattern[j])
            j++;
        if (j == m->len)
            return true;
    }
    return false;
}

bool kv_key_matcher_match(const kv_key_matcher *m, const char *text, size_t text_len)
{
    if (m->len == 0)
        return m->substring || text_len == 0;
    if (m->glob)
        return glob_match(m->pattern, text, text_len, m->case_insensitive);
    if (!m->substring)
        return kv_glob_match(m->pattern, text, text_len, false, m->case_insensitive);
    if (!m->case_insensitive)
        return m->len <= text_len && memmem(text, text_len, m->pattern, m->len) != NULL;
    return folded_substring(m, text, text_len);
}
