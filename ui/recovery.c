/* Where recovery files live and which belong to a store: see recovery.h. The file format itself
 * is in recovery_file.c. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recovery.h"
#include "state_dir.h"

#define RECOVERY_SUFFIX ".edit"

bool ui_recovery_dir(char *out, size_t out_len)
{
    return ui_state_dir("recovery", out, out_len);
}

/* FNV-1a: a short, stable name for any bytes (the header tells collisions apart). */
static uint64_t fnv1a(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t hash = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        hash ^= p[i];
        hash *= 0x100000001b3ull;
    }
    return hash;
}

/* "<store hash>-" or, with a key, "<store hash>-<key hash>-": what a file name starts with. */
static void name_prefix(const char *store, const char *key, size_t key_len, char *out,
                        size_t out_len)
{
    int n = snprintf(out, out_len, "%016llx-", (unsigned long long)fnv1a(store, strlen(store)));
    if (key && n > 0 && (size_t)n < out_len)
        snprintf(out + n, out_len - (size_t)n, "%016llx-", (unsigned long long)fnv1a(key, key_len));
}

/* This process's file for STORE and KEY: two kvtui editing one key keep one file each. */
bool ui_recovery_path(const char *store, const char *key, size_t key_len, char *out, size_t out_len)
{
    char dir[1024], prefix[48];
    if (!ui_recovery_dir(dir, sizeof dir))
        return false;
    name_prefix(store, key, key_len, prefix, sizeof prefix);
    int n = snprintf(out, out_len, "%s/%s%ld" RECOVERY_SUFFIX, dir, prefix, (long)getpid());
    return n > 0 && (size_t)n < out_len;
}

bool ui_recovery_remove(const char *store, const char *key, size_t key_len)
{
    char path[1200];
    return ui_recovery_path(store, key, key_len, path, sizeof path) && unlink(path) == 0;
}

static bool is_recovery_of(const char *name, const char *prefix)
{
    size_t len = strlen(name), suffix = strlen(RECOVERY_SUFFIX);
    return strncmp(name, prefix, strlen(prefix)) == 0 && len > suffix &&
           strcmp(name + len - suffix, RECOVERY_SUFFIX) == 0;
}

/* The file of another kvtui that is still running is its edit, not a leftover. */
static bool owned_by_a_running_kvtui(const char *name)
{
    const char *dash = strrchr(name, '-');
    long pid = dash ? strtol(dash + 1, NULL, 10) : 0;
    if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) != 0)
        return false;
    char path[64], comm[32] = "";
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return true; /* alive, and no way to tell what it is */
    bool kvtui = fgets(comm, sizeof comm, f) && strncmp(comm, "kvtui", 5) == 0;
    fclose(f);
    return kvtui;
}

/* True when the file at PATH really is STORE's (and KEY's): the name is only a hash. */
static bool belongs_to(const char *path, const char *store, const char *key, size_t key_len)
{
    ui_recovery recovery;
    char errbuf[160];
    if (ui_recovery_read(path, &recovery, errbuf, sizeof errbuf) != KV_OK)
        return !key; /* damaged: still offered at start, so the user hears about it */
    bool same = strcmp(recovery.store, store) == 0 &&
                (!key || (recovery.key_len == key_len && memcmp(recovery.key, key, key_len) == 0));
    ui_recovery_free(&recovery);
    return same;
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_path(char ***paths, size_t *count, const char *path)
{
    if ((*count & (*count - 1)) == 0) { /* 0, 1, 2, 4, ...: grow to the next power of two */
        *paths = realloc(*paths, (*count ? *count * 2 : 1) * sizeof **paths);
        if (!*paths)
            abort();
    }
    (*paths)[*count] = strdup(path);
    if (!(*paths)[(*count)++])
        abort();
}

/* The recovery files of STORE (and KEY when not NULL) that no running kvtui is editing. */
static size_t list_files(const char *store, const char *key, size_t key_len, char ***paths)
{
    char dir[1024], prefix[48];
    *paths = NULL;
    DIR *d = ui_recovery_dir(dir, sizeof dir) ? opendir(dir) : NULL;
    if (!d)
        return 0;
    name_prefix(store, key, key_len, prefix, sizeof prefix);
    size_t count = 0;
    for (struct dirent *entry; (entry = readdir(d));) {
        char path[1400];
        if (!is_recovery_of(entry->d_name, prefix) || owned_by_a_running_kvtui(entry->d_name))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
        if (belongs_to(path, store, key, key_len))
            add_path(paths, &count, path);
    }
    closedir(d);
    if (count)
        qsort(*paths, count, sizeof **paths, compare_paths);
    return count;
}

size_t ui_recovery_pending(const char *store, char ***paths)
{
    return list_files(store, NULL, 0, paths);
}

bool ui_recovery_find(const char *store, const char *key, size_t key_len, char *out, size_t out_len)
{
    char **paths;
    size_t count = list_files(store, key, key_len, &paths);
    if (count)
        snprintf(out, out_len, "%s", paths[0]);
    ui_recovery_list_free(paths, count);
    return count > 0;
}

bool ui_recovery_adopt(const char *path, const char *store, const char *key, size_t key_len)
{
    char mine[1200];
    if (!ui_recovery_path(store, key, key_len, mine, sizeof mine))
        return false;
    return strcmp(path, mine) == 0 || rename(path, mine) == 0;
}

void ui_recovery_list_free(char **paths, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(paths[i]);
    free(paths);
}
