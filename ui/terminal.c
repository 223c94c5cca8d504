/* curses on and off, and the signals that must never leave the terminal broken. */
#include <curses.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "draw_text.h"
#include "terminal.h"

static volatile sig_atomic_t quit_requested;
static volatile sig_atomic_t resize_pending;
static volatile sig_atomic_t curses_on;

/* Async-signal-safe enough: endwin writes the terminal's reset sequences. */
static void restore(void)
{
    if (curses_on) {
        curses_on = 0;
        endwin();
    }
}

static void on_fatal(int sig)
{
    restore();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void on_quit(int sig)
{
    (void)sig;
    quit_requested = 1;
}

static void on_stop(int sig)
{
    (void)sig;
    restore();
    signal(SIGTSTP, SIG_DFL);
    raise(SIGTSTP);
}

static void on_continue(int sig)
{
    (void)sig;
    signal(SIGTSTP, on_stop);
    resize_pending = 1; /* the loop calls ui_terminal_resume and redraws */
}

static void install(int sig, void (*handler)(int))
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    sigaction(sig, &action, NULL);
}

bool ui_terminal_start(const struct ui_style_spec *theme)
{
    setlocale(LC_ALL, "");
    if (!initscr())
        return false;
    curses_on = 1;
    atexit(restore);
    static const int fatal[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        install(fatal[i], on_fatal);
    install(SIGTERM, on_quit);
    install(SIGHUP, on_quit);
    install(SIGINT, on_quit);
    install(SIGTSTP, on_stop);
    install(SIGCONT, on_continue);
    raw(); /* Ctrl-S, Ctrl-Z reach the keymap; SIGINT/SIGTSTP come only from kill */
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    mouseinterval(0);
    ui_styles_init(theme);
    return true;
}

void ui_terminal_stop(void)
{
    restore();
}

bool ui_terminal_quit_requested(void)
{
    return quit_requested != 0;
}

bool ui_terminal_take_resize(void)
{
    bool pending = resize_pending != 0;
    resize_pending = 0;
    return pending;
}

void ui_terminal_suspend(void)
{
    def_prog_mode();
    restore();
}

void ui_terminal_resume(void)
{
    reset_prog_mode();
    curses_on = 1;
    refresh();
}
