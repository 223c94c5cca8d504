/* The `:` command line on GNU readline's callback interface: see cmdline.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "cmdline.h"
#include "command.h"
#include "draw_text.h"
#include "state_dir.h"

#define HISTORY_LINES 1000
#define KEY_MATCHES_MAX 200
#define CTRL_KEY(c) ((c) & 0x1f)

static ui_app *the_app; /* readline's callbacks carry no context; the UI has one app */
static bool active;
static bool initialised;
static char history_path[1100];
static unsigned char pending[64]; /* bytes of the key being fed to readline */
static size_t pending_len, pending_pos;

static int feed_getc(FILE *stream)
{
    (void)stream;
    return pending_pos < pending_len ? pending[pending_pos++] : EOF;
}

static int input_available(void)
{
    return pending_pos < pending_len;
}

static void redisplay(void)
{
    if (the_app)
        the_app->dirty |= UI_REDRAW_BAR;
}

static void terminal_untouched(int meta)
{
    (void)meta;
}

static void terminal_untouched_void(void)
{
}

/* $XDG_STATE_HOME/kvtui/history (default ~/.local/state/kvtui/history). */
static void find_history_path(void)
{
    char dir[1024];
    if (ui_state_dir(NULL, dir, sizeof dir))
        snprintf(history_path, sizeof history_path, "%s/history", dir);
}

/* Appends LINE to the history file, created 0600 (and kept 0600 if it existed wider). */
static void remember(const char *line)
{
    add_history(line);
    if (!history_path[0])
        return;
    int fd = open(history_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    fchmod(fd, 0600);
    close(fd);
    append_history(1, history_path);
    history_truncate_file(history_path, HISTORY_LINES);
}

static char *command_names(const char *text, int state)
{
    static size_t n;
    if (!state)
        n = 0;
    const kv_command *command = kv_command_complete(text, n++);
    return command ? strdup(command->name) : NULL;
}

/* The command named by the first word of the line, or NULL. */
static const kv_command *line_command(void)
{
    char name[32];
    size_t i = 0;
    while (rl_line_buffer[i] == ' ')
        i++;
    size_t n = strcspn(rl_line_buffer + i, " ");
    if (n == 0 || n >= sizeof name)
        return NULL;
    memcpy(name, rl_line_buffer + i, n);
    name[n] = '\0';
    return kv_command_find(name);
}

static char *option_names(const char *text, int state)
{
    static size_t n;
    if (!state)
        n = 0;
    const kv_command *command = line_command();
    const kv_option *option = command ? kv_option_complete(command, text, n++) : NULL;
    if (!option)
        return NULL;
    char *word = malloc(strlen(option->name) + 3);
    if (word)
        sprintf(word, "--%s", option->name);
    return word;
}

/* Keys of the list that start with TEXT, in order, at most KEY_MATCHES_MAX. */
static char *key_names(const char *text, int state)
{
    static size_t row, found;
    if (!state)
        row = found = 0;
    const ui_key_model *keys = &the_app->keys;
    size_t len = strlen(text);
    for (; row < keys->nsorted && found < KEY_MATCHES_MAX; row++) {
        const ui_key_entry *e = &keys->entries[keys->sorted[row]];
        const char *key = keys->arena + e->key_offset;
        if (e->key_len < len || memcmp(key, text, len) != 0)
            continue;
        row++;
        found++;
        return strndup(key, e->key_len);
    }
    return NULL;
}

static char **complete(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1; /* never fall back to file names */
    bool first_word = strspn(rl_line_buffer, " ") == (size_t)start;
    if (first_word)
        return rl_completion_matches(text, command_names);
    if (text[0] == '-')
        return rl_completion_matches(text, option_names);
    return rl_completion_matches(text, key_names);
}

/* Several matches: list them in the status pane instead of printing under the line. */
static void show_matches(char **matches, int count, int longest)
{
    (void)longest;
    char line[256];
    size_t used = 0;
    line[0] = '\0';
    for (int i = 1; i <= count && used + 2 < sizeof line; i++)
        used += (size_t)snprintf(line + used, sizeof line - used, "%s%s", i > 1 ? "  " : "",
                                 matches[i]);
    ui_status_log(the_app, UI_LOG_INFO, "%d matches: %s", count, line);
}

static void line_done(char *line)
{
    rl_callback_handler_remove();
    active = false;
    if (line && line[strspn(line, " ")]) {
        remember(line);
        ui_actions_run_command(the_app, line);
    }
    free(line);
    the_app->dirty |= UI_REDRAW_ALL;
}

static void init_readline(void)
{
    if (initialised)
        return;
    initialised = true;
    rl_readline_name = "kvtui";
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_change_environment = 0;
    rl_prep_term_function = terminal_untouched;
    rl_deprep_term_function = terminal_untouched_void;
    rl_getc_function = feed_getc;
    rl_input_available_hook = input_available;
    rl_redisplay_function = redisplay;
    rl_outstream = fopen("/dev/null", "w");
    rl_attempted_completion_function = complete;
    rl_completion_display_matches_hook = show_matches;
    rl_basic_word_break_characters = " \t";
    using_history();
    stifle_history(HISTORY_LINES);
    find_history_path();
    if (history_path[0])
        read_history(history_path);
}

void ui_cmdline_open(ui_app *app)
{
    the_app = app;
    init_readline();
    active = true;
    rl_callback_handler_install(":", line_done);
    app->dirty |= UI_REDRAW_BAR;
}

bool ui_cmdline_active(void)
{
    return active;
}

/* The bytes a terminal would send for KEY, for readline's key bindings. */
static size_t key_bytes(const ui_key *key, unsigned char *out)
{
    static const struct {
        int code;
        const char *bytes;
    } FUNCTION_KEYS[] = {
        {KEY_LEFT, "\033[D"}, {KEY_RIGHT, "\033[C"}, {KEY_UP, "\033[A"},
        {KEY_DOWN, "\033[B"}, {KEY_HOME, "\033[H"},  {KEY_END, "\033[F"},
        {KEY_DC, "\033[3~"},  {KEY_BACKSPACE, "\177"}, {KEY_ENTER, "\r"},
    };
    if (key->function) {
        for (size_t i = 0; i < sizeof FUNCTION_KEYS / sizeof FUNCTION_KEYS[0]; i++)
            if (FUNCTION_KEYS[i].code == key->code) {
                size_t n = strlen(FUNCTION_KEYS[i].bytes);
                memcpy(out, FUNCTION_KEYS[i].bytes, n);
                return n;
            }
        return 0;
    }
    mbstate_t state;
    memset(&state, 0, sizeof state);
    size_t n = wcrtomb((char *)out, (wchar_t)key->code, &state);
    return n == (size_t)-1 ? 0 : n;
}

static void cancel(void)
{
    rl_replace_line("", 0);
    rl_callback_handler_remove();
    active = false;
}

unsigned ui_cmdline_key(ui_app *app, const ui_key *key)
{
    the_app = app;
    if (!key->function && (key->code == 27 || key->code == CTRL_KEY('c') || key->code == CTRL_KEY('g'))) {
        cancel();
        return UI_REDRAW_ALL;
    }
    pending_len = key_bytes(key, pending);
    pending_pos = 0;
    while (active && pending_pos < pending_len)
        rl_callback_read_char();
    return UI_REDRAW_BAR;
}

/* Columns of the line scrolled off the left so the cursor stays on screen. */
static int scroll_columns(int room)
{
    int cursor = ui_text_columns(rl_line_buffer, (size_t)rl_point, true);
    return cursor >= room ? cursor - room + 1 : 0;
}

void ui_cmdline_draw(WINDOW *win, int row, int cols)
{
    wmove(win, row, 0);
    const char *prompt = rl_display_prompt ? rl_display_prompt : ":";
    int used = ui_draw_plain(win, prompt, cols, UI_STYLE_HEADER);
    int room = cols - used - 1;
    int skip = scroll_columns(room);
    size_t start = 0, len = strlen(rl_line_buffer);
    while (start < len && ui_text_columns(rl_line_buffer, start, true) < skip)
        start++;
    while (start < len && ((unsigned char)rl_line_buffer[start] & 0xc0) == 0x80)
        start++;
    ui_draw_text(win, rl_line_buffer + start, len - start, room, UI_STYLE_NORMAL, true);
}

void ui_cmdline_place_cursor(WINDOW *win, int row, int cols)
{
    const char *prompt = rl_display_prompt ? rl_display_prompt : ":";
    int prompt_cols = (int)strlen(prompt);
    int room = cols - prompt_cols - 1;
    int col = prompt_cols + ui_text_columns(rl_line_buffer, (size_t)rl_point, true) -
              scroll_columns(room);
    wmove(win, row, col < cols ? col : cols - 1);
}

void ui_cmdline_shutdown(void)
{
    if (active)
        cancel();
    if (rl_outstream && rl_outstream != stdout) {
        fclose(rl_outstream);
        rl_outstream = NULL;
    }
    clear_history();
}
