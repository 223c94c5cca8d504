/*
 * terminal.h - curses on and off. The terminal is restored on every way out: a normal exit,
 * a fatal signal (SIGSEGV, SIGABRT, SIGBUS, SIGFPE: restored, then the signal is raised again so
 * the exit status and core dump are the usual ones), SIGTERM/SIGHUP/SIGINT (a clean quit through
 * the loop), and suspend (SIGTSTP restores, SIGCONT re-enters).
 */
#ifndef UI_TERMINAL_H
#define UI_TERMINAL_H

#include <stdbool.h>

struct ui_style_spec;
/* Curses on, with the styles of THEME (theme.h). */
bool ui_terminal_start(const struct ui_style_spec *theme);
void ui_terminal_stop(void);
/* Set by SIGTERM, SIGHUP and SIGINT; the loop quits cleanly when it sees it. */
bool ui_terminal_quit_requested(void);
/* Set by SIGCONT: the loop re-enters curses and redraws. Reading clears it. (Window size
 * changes arrive from curses as KEY_RESIZE.) */
bool ui_terminal_take_resize(void);
/* Leave curses for a child program (e.g. $EDITOR) and come back. */
void ui_terminal_suspend(void);
void ui_terminal_resume(void);

#endif /* UI_TERMINAL_H */
