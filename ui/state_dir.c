/* kvtui's private state folder: see state_dir.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "state_dir.h"

static bool make_private_dir(const char *path)
{
    return mkdir(path, 0700) == 0 || errno == EEXIST;
}

/* Every folder of PATH, from the root down. */
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

bool ui_state_dir(const char *sub, char *out, size_t out_len)
{
    const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    const char *tail = sub ? sub : "";
    const char *sep = sub ? "/" : "";
    int n;
    if (state && state[0] == '/')
        n = snprintf(out, out_len, "%s/kvtui%s%s", state, sep, tail);
    else if (home && home[0] == '/')
        n = snprintf(out, out_len, "%s/.local/state/kvtui%s%s", home, sep, tail);
    else
        return false;
    if (n < 0 || (size_t)n >= out_len || !make_private_dirs(out))
        return false;
    chmod(out, 0700); /* a folder made earlier with a looser umask becomes private again */
    return true;
}
