/* The terminal for `console` and `top`: raw mode, and putting it back as
 * it was on every way out (normal exit, Ctrl-C, SIGTERM, SIGHUP). */
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

static struct termios term_saved;
static int term_fd = -1;

/* Set by the handler; loops poll() with it and leave cleanly. */
volatile int cli_term_signal;

int cli_term_raw(int fd, bool keep_signals)
{
	struct termios raw;

	if (tcgetattr(fd, &term_saved) < 0)
		return -1;
	raw = term_saved;
	raw.c_iflag &=
	    ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	raw.c_oflag &= ~(tcflag_t)OPOST;
	raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | IEXTEN);
	if (!keep_signals)
		raw.c_lflag &= ~(tcflag_t)ISIG;
	raw.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	raw.c_cflag |= CS8;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSAFLUSH, &raw) < 0)
		return -1;
	term_fd = fd;
	return 0;
}

void cli_term_restore(void)
{
	if (term_fd >= 0) {
		tcsetattr(term_fd, TCSAFLUSH, &term_saved);
		term_fd = -1;
	}
}

static void term_on_signal(int sig)
{
	cli_term_signal = sig;
}

/* No SA_RESTART: a signal interrupts poll() and the loop notices it. */
void cli_term_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = term_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}
