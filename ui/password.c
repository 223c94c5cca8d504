/*
 * password.c - the SASL password, from a 0600 file, KVTUI_PASSWORD or a no-echo prompt. Never
 * from argv (ps shows it) and never echoed; buffers are wiped after use.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

#define PASSWORD_MAX 1024

static char *dup_secret(const char *text, size_t len)
{
    char *out = malloc(len + 1);
    if (!out)
        abort();
    memcpy(out, text, len);
    out[len] = '\0';
    return out;
}

static size_t strip_line_end(const char *text, size_t len)
{
    if (len > 0 && text[len - 1] == '\n')
        len--;
    if (len > 0 && text[len - 1] == '\r')
        len--;
    return len;
}

/* Like libpq with .pgpass: a file others can read is refused, checked on the open descriptor. */
static kv_status read_password_file(const char *path, char **out, char *errbuf,
                                    size_t errbuf_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "cannot open password file \"%s\": %s",
                      path, strerror(errno));
    struct stat st;
    kv_status status = KV_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        status = kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                        "password file \"%s\" is not a plain file", path);
    else if (st.st_mode & (S_IRWXG | S_IRWXO))
        status = kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                        "password file \"%s\" has group or world access; permissions should be "
                        "u=rw (0600) or less", path);
    char buf[PASSWORD_MAX + 2];
    ssize_t got = status == KV_OK ? read(fd, buf, sizeof buf - 1) : 0;
    close(fd);
    if (status == KV_OK && (got <= 0 || (size_t)got > PASSWORD_MAX))
        status = kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                        "password file \"%s\" is empty or over %d bytes", path, PASSWORD_MAX);
    size_t len = status == KV_OK ? strip_line_end(buf, (size_t)got) : 0;
    if (status == KV_OK)
        *out = dup_secret(buf, len);
    explicit_bzero(buf, sizeof buf);
    return status;
}

static int prompt_fd = -1;
static struct termios prompt_saved;

/* Put the echo back if the user presses Ctrl-C at the prompt, then die of the signal. */
static void restore_echo_and_reraise(int sig)
{
    if (prompt_fd >= 0)
        tcsetattr(prompt_fd, TCSAFLUSH, &prompt_saved);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void write_escaped_prompt(int fd, const char *username, const char *host)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return;
    fputs("Password for ", mem);
    kv_output_escaped(mem, username, strlen(username), KV_ESCAPE_LINE);
    if (host && *host) {
        fputc('@', mem);
        kv_output_escaped(mem, host, strlen(host), KV_ESCAPE_LINE);
    }
    fputs(": ", mem);
    fclose(mem);
    ssize_t ignored = write(fd, text, len);
    (void)ignored;
    free(text);
}

static size_t read_line(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    char c;
    while (len + 1 < cap && read(fd, &c, 1) == 1 && c != '\n')
        buf[len++] = c;
    buf[len] = '\0';
    return strip_line_end(buf, len);
}

static kv_status prompt_password(const char *username, const char *host, char **out,
                                 char *errbuf, size_t errbuf_len)
{
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0 || tcgetattr(fd, &prompt_saved) != 0) {
        if (fd >= 0)
            close(fd);
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_AUTH, "a password is needed and there is no "
                      "terminal to ask on: set KVTUI_PASSWORD or use --password-file");
    }
    write_escaped_prompt(fd, username, host);
    struct termios quiet = prompt_saved;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
    prompt_fd = fd;
    void (*old_int)(int) = signal(SIGINT, restore_echo_and_reraise);
    void (*old_term)(int) = signal(SIGTERM, restore_echo_and_reraise);
    tcsetattr(fd, TCSAFLUSH, &quiet);
    char buf[PASSWORD_MAX + 1];
    size_t len = read_line(fd, buf, sizeof buf);
    tcsetattr(fd, TCSAFLUSH, &prompt_saved);
    signal(SIGINT, old_int);
    signal(SIGTERM, old_term);
    prompt_fd = -1;
    ssize_t ignored = write(fd, "\n", 1);
    (void)ignored;
    close(fd);
    *out = dup_secret(buf, len);
    explicit_bzero(buf, sizeof buf);
    return KV_OK;
}

kv_status kv_password_obtain(const char *password_file, const char *username, const char *host,
                             char **out, char *errbuf, size_t errbuf_len)
{
    *out = NULL;
    if (password_file)
        return read_password_file(password_file, out, errbuf, errbuf_len);
    const char *env = getenv("KVTUI_PASSWORD");
    if (env && *env) {
        *out = dup_secret(env, strlen(env));
        return KV_OK;
    }
    if (username && *username)
        return prompt_password(username, host, out, errbuf, errbuf_len);
    return KV_OK;
}

void kv_password_free(char *password)
{
    if (!password)
        return;
    explicit_bzero(password, strlen(password));
    free(password);
}
