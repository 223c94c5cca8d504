/*
 * interop_lm - libmemcached on the command line, so the interop tests can compare kvtui with
 * what applications using libmemcached write and where they put it.
 *
 *   interop_lm [--ketama|--modula] [--user U] SERVERS set KEY VALUE FLAGS
 *   interop_lm ... get KEY              prints "0xFLAGS<TAB>VALUE"
 *   interop_lm ... where KEY...         prints "KEY<TAB>HOST:PORT", the node libmemcached uses
 *   interop_lm ... fill PREFIX N        sets PREFIX000 .. PREFIX<N-1>, value "v<i>", utf8 flags
 *
 * SERVERS is "h1:p1,h2:p2". --ketama is MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED (MD5 key hash, 160
 * points per server): what libmemcached offers for ketama compatibility and what kvtui's
 * distribution=ketama follows. --modula (the default) is libmemcached's default distribution.
 * --user U authenticates with SASL PLAIN, the password taken from KVTUI_PASSWORD.
 * Exit codes: 0 ok, 1 a libmemcached error (printed), 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmemcached/memcached.h>

#define FLAGS_UTF8 0x04000004u

typedef struct options {
    bool ketama;
    const char *user;
    const char *servers;
} options;

static int usage(void)
{
    fputs("usage: interop_lm [--ketama|--modula] [--user U] SERVERS set KEY VALUE FLAGS | get KEY"
          " | where KEY... | fill PREFIX N\n",
          stderr);
    return 2;
}

static int fail(memcached_st *memc, const char *what, memcached_return_t rc)
{
    fprintf(stderr, "interop_lm: %s: %s (%s)\n", what, memcached_strerror(memc, rc),
            memcached_last_error_message(memc));
    return 1;
}

/* Add "h1:p1,h2:p2" one server at a time, keeping the host text exactly as written. */
static memcached_return_t add_servers(memcached_st *memc, const char *list)
{
    char *copy = strdup(list), *save = NULL;
    memcached_return_t rc = MEMCACHED_SUCCESS;
    for (char *item = strtok_r(copy, ",", &save); item && rc == MEMCACHED_SUCCESS;
         item = strtok_r(NULL, ",", &save)) {
        char *colon = strrchr(item, ':');
        in_port_t port = 11211;
        if (colon) {
            *colon = '\0';
            port = (in_port_t)atoi(colon + 1);
        }
        rc = memcached_server_add(memc, item, port);
    }
    free(copy);
    return rc;
}

static memcached_st *connect_memc(const options *opt)
{
    memcached_st *memc = memcached_create(NULL);
    if (!memc)
        return NULL;
    memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1);
    if (opt->ketama)
        memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1);
    if (add_servers(memc, opt->servers) != MEMCACHED_SUCCESS) {
        memcached_free(memc);
        return NULL;
    }
    if (opt->user) {
        const char *password = getenv("KVTUI_PASSWORD");
        memcached_set_sasl_auth_data(memc, opt->user, password ? password : "");
    }
    return memc;
}

static int do_set(memcached_st *memc, const char *key, const char *value, const char *flags)
{
    memcached_return_t rc = memcached_set(memc, key, strlen(key), value, strlen(value), 0,
                                          (uint32_t)strtoul(flags, NULL, 0));
    return rc == MEMCACHED_SUCCESS ? 0 : fail(memc, key, rc);
}

static int do_get(memcached_st *memc, const char *key)
{
    size_t len = 0;
    uint32_t flags = 0;
    memcached_return_t rc;
    char *value = memcached_get(memc, key, strlen(key), &len, &flags, &rc);
    if (rc != MEMCACHED_SUCCESS)
        return fail(memc, key, rc);
    printf("0x%08x\t", flags);
    fwrite(value, 1, len, stdout);
    putchar('\n');
    free(value);
    return 0;
}

static int do_where(memcached_st *memc, char **keys, int count)
{
    for (int i = 0; i < count; i++) {
        memcached_return_t rc;
        const memcached_instance_st *server =
            memcached_server_by_key(memc, keys[i], strlen(keys[i]), &rc);
        if (!server)
            return fail(memc, keys[i], rc);
        printf("%s\t%s:%u\n", keys[i], memcached_server_name(server),
               (unsigned)memcached_server_port(server));
    }
    return 0;
}

static int do_fill(memcached_st *memc, const char *prefix, int count)
{
    for (int i = 0; i < count; i++) {
        char key[256], value[32];
        snprintf(key, sizeof key, "%s%03d", prefix, i);
        snprintf(value, sizeof value, "v%d", i);
        memcached_return_t rc =
            memcached_set(memc, key, strlen(key), value, strlen(value), 0, FLAGS_UTF8);
        if (rc != MEMCACHED_SUCCESS)
            return fail(memc, key, rc);
    }
    return 0;
}

static int run(memcached_st *memc, int argc, char **argv)
{
    const char *cmd = argv[0];
    if (strcmp(cmd, "set") == 0 && argc == 4)
        return do_set(memc, argv[1], argv[2], argv[3]);
    if (strcmp(cmd, "get") == 0 && argc == 2)
        return do_get(memc, argv[1]);
    if (strcmp(cmd, "where") == 0 && argc >= 2)
        return do_where(memc, argv + 1, argc - 1);
    if (strcmp(cmd, "fill") == 0 && argc == 3)
        return do_fill(memc, argv[1], atoi(argv[2]));
    return usage();
}

int main(int argc, char **argv)
{
    options opt = {0};
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--ketama") == 0)
            opt.ketama = true;
        else if (strcmp(argv[i], "--modula") == 0)
            opt.ketama = false;
        else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
            opt.user = argv[++i];
        else
            return usage();
    }
    if (argc - i < 2)
        return usage();
    opt.servers = argv[i++];
    memcached_st *memc = connect_memc(&opt);
    if (!memc) {
        fprintf(stderr, "interop_lm: cannot set up servers %s\n", opt.servers);
        return 1;
    }
    int code = run(memc, argc - i, argv + i);
    memcached_free(memc);
    return code;
}
