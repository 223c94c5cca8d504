/* Editing in $EDITOR: the edit file (0600, under $XDG_STATE_HOME/kvtui/edits/) and running the
 * editor with curses suspended. The file name goes to the editor as "$1" of a fixed shell
 * command, so neither the key nor the path can inject shell syntax. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "save.h"
#include "state_dir.h"
#include "terminal.h"

/* A file-name-safe form of the key: letters, digits, '-', '_' and '.'; the rest becomes '_'. */
static void safe_name(char *out, size_t len, const char *key, size_t key_len)
{
    size_t n = 0;
    for (size_t i = 0; i < key_len && n + 1 < len && n < 60; i++) {
        char c = key[i];
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '_' || c == '.';
        out[n++] = plain ? c : '_';
    }
    out[n] = '\0';
}

char *ui_edit_file_create(const char *key, size_t key_len, const char *text, size_t len,
                          char *errbuf, size_t errbuf_len)
{
    char dir[1024], name[64], path[1200];
    if (!ui_state_dir("edits", dir, sizeof dir)) {
        kv_error_printf(errbuf, errbuf_len, KV_ERR_INTERNAL, "cannot create the edits folder");
        return NULL;
    }
    safe_name(name, sizeof name, key, key_len);
    snprintf(path, sizeof path, "%s/%s.XXXXXX", dir, name);
    int fd = mkstemp(path); /* mode 0600 */
    if (fd < 0) {
        kv_error_printf(errbuf, errbuf_len, KV_ERR_INTERNAL, "cannot create %s: %s", path,
                        strerror(errno));
        return NULL;
    }
    bool ok = write(fd, text, len) == (ssize_t)len;
    ok = close(fd) == 0 && ok;
    if (!ok) {
        kv_error_printf(errbuf, errbuf_len, KV_ERR_INTERNAL, "cannot write %s", path);
        unlink(path);
        return NULL;
    }
    return strdup(path);
}

char *ui_read_file(const char *file, size_t *len)
{
    FILE *f = fopen(file, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, used = 0, got;
    char *data = malloc(cap + 1);
    while (data && (got = fread(data + used, 1, cap - used, f)) > 0) {
        used += got;
        if (used < cap)
            continue;
        cap *= 2;
        char *bigger = realloc(data, cap + 1);
        if (!bigger)
            free(data);
        data = bigger;
    }
    fclose(f);
    if (!data)
        return NULL;
    data[used] = '\0';
    *len = used;
    return data;
}

kv_status ui_run_editor(const char *file, char *errbuf, size_t errbuf_len)
{
    ui_terminal_suspend();
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", "exec ${VISUAL:-${EDITOR:-vi}} \"$1\"", "sh", file,
              (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    ui_terminal_resume();
    if (pid < 0)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_INTERNAL, "cannot start the editor");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_INTERNAL,
                               "the editor failed (status %d); the edit is kept in %s",
                               WIFEXITED(status) ? WEXITSTATUS(status) : -1, file);
    return KV_OK;
}
