/* The embedded store's LMDB environments: one per real path per process, opened, grown, closed. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "embedded_internal.h"

#define DEFAULT_MAPSIZE ((size_t)64 << 30)
#define MAX_DBS 8
#define LMDB_MAGIC 0xBEEFC0DEu
#define LMDB_DATA_VERSION 1u
#define RESIZE_RETRIES 4

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static kv__embedded_env *registry;

const char *kv__lmdb_error(int rc)
{
    return mdb_strerror(rc);
}

/* mkdir -p for the directories above PATH, private to the user as the store is. */
static int make_parent_dirs(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return ENOMEM;
    int rc = 0;
    for (char *slash = strchr(copy + 1, '/'); slash && !rc; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(copy, 0700) != 0 && errno != EEXIST)
            rc = errno;
        *slash = '/';
    }
    free(copy);
    return rc;
}

/* The real path of the store file, also when it does not exist yet (its directory must). */
static char *resolve_store_path(const char *path)
{
    char *real = realpath(path, NULL);
    if (real || errno != ENOENT)
        return real;
    char *dir_copy = strdup(path), *base_copy = strdup(path);
    char *dir = dir_copy ? realpath(dirname(dir_copy), NULL) : NULL;
    if (dir && base_copy) {
        const char *base = basename(base_copy);
        size_t len = strlen(dir) + strlen(base) + 2;
        real = malloc(len);
        if (real)
            snprintf(real, len, "%s/%s", strcmp(dir, "/") ? dir : "", base);
    }
    free(dir);
    free(dir_copy);
    free(base_copy);
    return real;
}

static uint32_t u32_at(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint64_t u64_at(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* One LMDB meta page (0.9.x, 64-bit layout) must be sane before LMDB may trust it: Debian's
 * 0.9.24 crashes on crafted headers (CVE-2019-16224..16228), so garbage is refused here. */
static bool meta_page_sane(const uint8_t *page, uint32_t psize, uint64_t file_size)
{
    if (u32_at(page + 16) != LMDB_MAGIC || u32_at(page + 20) != LMDB_DATA_VERSION)
        return false;
    if (u32_at(page + 40) != psize)
        return false;
    uint64_t last_pg = u64_at(page + 136);
    if (last_pg < 1 || last_pg >= file_size / psize)
        return false;
    for (int db = 0; db < 2; db++) {
        uint64_t root = u64_at(page + 80 + 48 * db);
        if (root != UINT64_MAX && (root < 2 || root > last_pg))
            return false;
    }
    return true;
}

/* Empty or missing files are new stores; anything else must carry two sane meta pages. */
static bool store_file_sane(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT;
    struct stat st;
    uint8_t head[48];
    bool ok = fstat(fd, &st) == 0;
    if (ok && st.st_size == 0) {
        close(fd);
        return true;
    }
    ok = ok && pread(fd, head, sizeof head, 0) == (ssize_t)sizeof head;
    uint32_t psize = ok ? u32_at(head + 40) : 0;
    ok = ok && psize >= 512 && psize <= 65536 && (psize & (psize - 1)) == 0 &&
         (uint64_t)st.st_size >= 2ull * psize;
    uint8_t *pages = ok ? malloc(2 * (size_t)psize) : NULL;
    ok = pages && pread(fd, pages, 2 * (size_t)psize, 0) == (ssize_t)(2 * psize);
    ok = ok && meta_page_sane(pages, psize, (uint64_t)st.st_size) &&
         meta_page_sane(pages + psize, psize, (uint64_t)st.st_size);
    free(pages);
    close(fd);
    return ok;
}

static size_t initial_mapsize(void)
{
    const char *text = getenv("KVTUI_MAPSIZE");
    unsigned long long size = text ? strtoull(text, NULL, 10) : 0;
    return size >= 65536 ? (size_t)size : DEFAULT_MAPSIZE;
}

/* Open (creating when missing) the four named databases and check the format marker. */
static int open_databases(kv__embedded_env *e, char *errbuf, size_t errbuf_len)
{
    kv__txn t;
    int rc = kv__txn_begin(e, true, &t);
    if (rc)
        return rc;
    rc = mdb_dbi_open(t.txn, "docs", MDB_CREATE, &e->docs);
    rc = rc ? rc : mdb_dbi_open(t.txn, "meta", MDB_CREATE, &e->meta);
    rc = rc ? rc : mdb_dbi_open(t.txn, "changes", MDB_CREATE, &e->changes);
    rc = rc ? rc : mdb_dbi_open(t.txn, "expiry", MDB_CREATE, &e->expiry);
    uint64_t version = 0;
    int vrc = rc ? rc : kv__meta_get_u64(&t, "version", &version);
    if (vrc == MDB_NOTFOUND)
        rc = kv__meta_put_u64(&t, "version", KV__STORE_VERSION);
    else if (vrc == 0 && version != KV__STORE_VERSION) {
        snprintf(errbuf, errbuf_len, "store format %llu is not supported (this kvtui reads %u)",
                 (unsigned long long)version, KV__STORE_VERSION);
        rc = MDB_INCOMPATIBLE;
    } else
        rc = vrc;
    if (rc) {
        kv__txn_abort(&t);
        return rc;
    }
    return kv__txn_commit(&t);
}

static void env_free(kv__embedded_env *e)
{
    if (e->env)
        mdb_env_close(e->env);
    pthread_rwlock_destroy(&e->resize_lock);
    free(e->path);
    free(e);
}

static kv_status env_open(char *real, kv__embedded_env **out, char *errbuf, size_t errbuf_len)
{
    if (!store_file_sane(real)) {
        kv_status s = kv_error_printf(errbuf, errbuf_len, KV_ERR_INTERNAL,
                                      "'%s' is not a kvtui store (corrupt or foreign file)", real);
        free(real);
        return s;
    }
    kv__embedded_env *e = calloc(1, sizeof *e);
    if (!e) {
        free(real);
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_INTERNAL, "out of memory");
    }
    e->path = real;
    e->pid = getpid();
    e->refcount = 1;
    pthread_rwlock_init(&e->resize_lock, NULL);
    int rc = mdb_env_create(&e->env);
    rc = rc ? rc : mdb_env_set_maxdbs(e->env, MAX_DBS);
    rc = rc ? rc : mdb_env_set_mapsize(e->env, initial_mapsize());
    rc = rc ? rc : mdb_env_open(e->env, real, MDB_NOSUBDIR | MDB_NOSYNC | MDB_NOTLS, 0600);
    if (rc == 0)
        kv__env_reader_check(e);
    char detail[160] = "";
    rc = rc ? rc : open_databases(e, detail, sizeof detail);
    if (rc) {
        kv_status s = kv_error_printf(errbuf, errbuf_len, KV_ERR_INTERNAL, "cannot open store '%s': %s", real,
                                  detail[0] ? detail : kv__lmdb_error(rc));
        env_free(e);
        return s;
    }
    *out = e;
    return KV_OK;
}

static kv__embedded_env *registry_find(const char *real)
{
    for (kv__embedded_env *e = registry; e; e = e->next)
        if (e->pid == getpid() && strcmp(e->path, real) == 0)
            return e;
    return NULL;
}

kv_status kv__env_acquire(const char *path, kv__embedded_env **out, char *errbuf,
                          size_t errbuf_len)
{
    if (!path || !path[0])
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_INTERNAL, "no store path given");
    int rc = make_parent_dirs(path);
    if (rc)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_INTERNAL, "cannot create the directory of '%s': %s", path,
                           strerror(rc));
    char *real = resolve_store_path(path);
    if (!real)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_INTERNAL, "cannot resolve '%s': %s", path, strerror(errno));
    pthread_mutex_lock(&registry_lock);
    kv__embedded_env *e = registry_find(real);
    kv_status status = KV_OK;
    if (e) {
        e->refcount++;
        free(real);
    } else if ((status = env_open(real, &e, errbuf, errbuf_len)) == KV_OK) {
        e->next = registry;
        registry = e;
    }
    pthread_mutex_unlock(&registry_lock);
    *out = status == KV_OK ? e : NULL;
    return status;
}

void kv__env_release(kv__embedded_env *env)
{
    pthread_mutex_lock(&registry_lock);
    if (--env->refcount == 0) {
        for (kv__embedded_env **p = &registry; *p; p = &(*p)->next)
            if (*p == env) {
                *p = env->next;
                break;
            }
        env_free(env);
    }
    pthread_mutex_unlock(&registry_lock);
}

int kv__env_reader_check(kv__embedded_env *env)
{
    int dead = 0;
    mdb_reader_check(env->env, &dead);
    return dead;
}

/* Adopt the map size another process grew the file to; only with no transaction open here. */
static int adopt_resized_map(kv__embedded_env *env)
{
    pthread_rwlock_wrlock(&env->resize_lock);
    int rc = mdb_env_set_mapsize(env->env, 0);
    pthread_rwlock_unlock(&env->resize_lock);
    return rc;
}

int kv__txn_begin(kv__embedded_env *env, bool write, kv__txn *t)
{
    memset(t, 0, sizeof *t);
    t->env = env;
    t->write = write;
    t->now = kv_now();
    for (int attempt = 0;; attempt++) {
        pthread_rwlock_rdlock(&env->resize_lock);
        int rc = mdb_txn_begin(env->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
        if (rc == 0)
            return 0;
        pthread_rwlock_unlock(&env->resize_lock);
        t->txn = NULL;
        if (rc != MDB_MAP_RESIZED || attempt == RESIZE_RETRIES)
            return rc;
        if ((rc = adopt_resized_map(env)) != 0)
            return rc;
    }
}

/* Read-only cursors outlive their transaction unless closed, so every cursor is closed here. */
static void close_cursors(kv__txn *t)
{
    if (t->docs_cursor)
        mdb_cursor_close(t->docs_cursor);
    if (t->changes_cursor)
        mdb_cursor_close(t->changes_cursor);
    t->docs_cursor = t->changes_cursor = NULL;
}

int kv__txn_commit(kv__txn *t)
{
    close_cursors(t);
    int rc = t->rc ? t->rc : kv__txn_meta_flush(t);
    if (rc)
        mdb_txn_abort(t->txn);
    else
        rc = mdb_txn_commit(t->txn);
    t->txn = NULL;
    pthread_rwlock_unlock(&t->env->resize_lock);
    return rc;
}

void kv__txn_abort(kv__txn *t)
{
    if (!t->txn)
        return;
    close_cursors(t);
    mdb_txn_abort(t->txn);
    t->txn = NULL;
    pthread_rwlock_unlock(&t->env->resize_lock);
}

int kv__env_grow(kv__embedded_env *env)
{
    pthread_rwlock_wrlock(&env->resize_lock);
    MDB_envinfo info;
    int rc = mdb_env_info(env->env, &info);
    if (rc == 0)
        rc = mdb_env_set_mapsize(env->env, info.me_mapsize * 2);
    if (rc == 0)
        env->grow_count++;
    pthread_rwlock_unlock(&env->resize_lock);
    return rc;
}
