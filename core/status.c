/* Error names and CLI exit codes: the stable, user-visible face of kv_status. */
#include "kv.h"

typedef struct status_row {
    const char *name;
    int exit_code;
} status_row;

static const status_row status_rows[KV_STATUS_COUNT] = {
    [KV_OK] = {"Success", 0},
    [KV_ERR_NOT_FOUND] = {"NotFoundError", 3},
    [KV_ERR_KEY_EXISTS] = {"KeyExistsError", 4},
    [KV_ERR_NOT_STORED] = {"NotStoredError", 5},
    [KV_ERR_VALUE_FORMAT] = {"ValueFormatError", 6},
    [KV_ERR_DELTA_BADVAL] = {"DeltaBadvalError", 7},
    [KV_ERR_TOO_BIG] = {"TooBigError", 8},
    [KV_ERR_TEMPORARY_FAIL] = {"TemporaryFailError", 9},
    [KV_ERR_ARGUMENT] = {"ArgumentError", 2},
    [KV_ERR_DURABILITY_IMPOSSIBLE] = {"DurabilityImpossibleError", 10},
    [KV_ERR_NOT_SUPPORTED] = {"NotSupportedError", 10},
    [KV_ERR_TIMEOUT] = {"TimeoutError", 11},
    [KV_ERR_NETWORK] = {"NetworkError", 11},
    [KV_ERR_AUTH] = {"AuthError", 12},
    [KV_ERR_CANCELLED] = {"CancelledError", 1},
    [KV_ERR_INTERNAL] = {"InternalError", 1},
};

const char *kv_status_name(kv_status status)
{
    if ((unsigned)status >= KV_STATUS_COUNT)
        return "InternalError";
    return status_rows[status].name;
}

int kv_status_exit_code(kv_status status)
{
    if ((unsigned)status >= KV_STATUS_COUNT)
        return 1;
    return status_rows[status].exit_code;
}
