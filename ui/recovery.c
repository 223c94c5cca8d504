/* Where recovery files live and which belong to a store: see recovery.h. The file format itself
 * is in recovery_file.c. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recovery.h"

#define RECOVERY_SUFFIX ".edit"

/* mkdir that accepts an existing folder and makes a new one private. */
static bool make_private_dir(const char *path)
{
    if (mkdir(path, 0700) == 0)
        return true;
    struct stat st;
    return errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Every missing folder of PATH is created 0700 (like mkdir -p, but private). */
static bool make_private_dirs(char *path)
{
    for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        bool ok = make_private_dir(path);
        *slash = '/';
        if (!ok)
            return false;
    }
    return make_private_dir(path);
}

bool ui_recovery_dir(char *out, size_t out_len)
{
    const char *state = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (state && state[0] == '/')
        n = snprintf(out, out_len, "%s/kvtui/recovery", state);
    else if (home && home[0] == '/')
        n = snprintf(out, out_len, "%s/.local/state/kvtui/recovery", home);
    else
        return false;
    if (n < 0 || (size_t)n >= out_len || !make_private_dirs(out))
        return false;
    chmod(out, 0700); /* an older folder made with a looser umask becomes private again */
    return true;
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

static void store_prefix(const char *store, char *out, size_t out_len)
{
    snprintf(out, out_len, "%016llx-", (unsigned long long)fnv1a(store, strlen(store)));
}

bool ui_recovery_path(const char *store, const char *key, size_t key_len, char *out,
                      size_t out_len)
{
    char dir[1024], prefix[24];
    if (!ui_recovery_dir(dir, sizeof dir))
        return false;
    store_prefix(store, prefix, sizeof prefix);
    int n = snprintf(out, out_len, "%s/%s%016llx" RECOVERY_SUFFIX, dir, prefix,
                     (unsigned long long)fnv1a(key, key_len));
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

/* True when the file at PATH really is STORE's (the name is only a hash). */
static bool belongs_to(const char *path, const char *store)
{
    ui_recovery recovery;
    char errbuf[160];
    if (ui_recovery_read(path, &recovery, errbuf, sizeof errbuf) != KV_OK)
        return true; /* damaged: still offered, so the user hears about it */
    bool same = strcmp(recovery.store, store) == 0;
    ui_recovery_free(&recovery);
    return same;
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t ui_recovery_pending(const char *store, char ***paths)
{
    char dir[1024], prefix[24];
    *paths = NULL;
    DIR *d = ui_recovery_dir(dir, sizeof dir) ? opendir(dir) : NULL;
    if (!d)
        return 0;
    store_prefix(store, prefix, sizeof prefix);
    size_t count = 0, cap = 0;
    for (struct dirent *entry; (entry = readdir(d));) {
        char path[1400];
        if (!is_recovery_of(entry->d_name, prefix))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
        if (!belongs_to(path, store))
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 8;
            char **bigger = realloc(*paths, cap * sizeof *bigger);
            if (!bigger)
                abort();
            *paths = bigger;
        }
        (*paths)[count] = strdup(path);
        if (!(*paths)[count++])
            abort();
    }
    closedir(d);
    if (count)
        qsort(*paths, count, sizeof **paths, compare_paths);
    return count;
}

void ui_recovery_list_free(char **paths, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(paths[i]);
    free(paths);
}
