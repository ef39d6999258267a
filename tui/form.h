/* A small form widget: labelled text, number, choice and checkbox fields,
 * moved through with Tab/Shift-Tab/Up/Down, each with an optional validator
 * whose message is shown next to the field once the user leaves it. The
 * editing and validation logic needs no terminal (tests call it directly);
 * form_draw() is the only part that touches curses. */
#ifndef VIRTTY_TUI_FORM_H
#define VIRTTY_TUI_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include <curses.h>

#define FORM_TEXT_MAX 4096
#define FORM_MSG_MAX  256

enum form_kind {
	FORM_TEXT,   /* any printable text, cursor editing */
	FORM_NUMBER, /* digits only; + and - step the value */
	FORM_CHOICE, /* one of choices[]: Left/Right or space cycle */
	FORM_CHECK,  /* [x]: space toggles */
};

enum form_msg_level { FORM_MSG_NONE, FORM_MSG_NOTE, FORM_MSG_WARN, FORM_MSG_ERROR };

struct form_field;

/* Returns 0 when fine (msg may hold a note), > 0 for a warning (the value
 * is accepted), < 0 for an error; msg says why. */
typedef int (*form_validator)(const struct form_field *f, void *opaque, char *msg, size_t len);

struct form_field {
	enum form_kind kind;
	const char *label;
	char text[FORM_TEXT_MAX]; /* TEXT and NUMBER */
	size_t cursor;		  /* byte offset in text */
	int num_min, num_max;	  /* NUMBER: what + and - step within */
	const char *const *choices;
	int nr_choices, choice; /* CHOICE */
	bool checked;		/* CHECK */
	bool hidden;		/* not shown nor reachable (depends on another field) */
	form_validator validate;
	char msg[FORM_MSG_MAX];
	enum form_msg_level msg_level;
	bool changed; /* the user edited it */
};

struct form {
	struct form_field *fields;
	int nr_fields;
	int focus;    /* index of the focused field */
	void *opaque; /* passed to the validators */
	/* Where form_draw put each field (window row), for mouse clicks. */
	int rows[32];
};

/* What a key did to the form. */
enum form_key_result {
	FORM_KEY_IGNORED,   /* not a form key: Enter, Esc, PgUp... */
	FORM_KEY_EDITED,    /* the focused field's value changed */
	FORM_KEY_MOVED,	    /* the focus moved (the field left was validated) */
	FORM_KEY_HANDLED,   /* consumed, nothing changed (cursor move, bad char) */
	FORM_KEY_WRAP_NEXT, /* Tab/Down on the last field: leave the form forwards */
	FORM_KEY_WRAP_PREV, /* Shift-Tab/Up on the first field: backwards */
};

/* Fields: set text (cursor at its end). */
void form_field_set_text(struct form_field *f, const char *text);
/* Number field's value (text parsed), or def if empty or not a number. */
long form_field_number(const struct form_field *f, long def);
/* The chosen string of a CHOICE field. */
const char *form_field_choice(const struct form_field *f);
/* Edit the focused field with key (a character or KEY_*). */
enum form_key_result form_key(struct form *form, int key);
/* Run field i's validator and store its message; returns its result. */
int form_validate_field(struct form *form, int i);
/* Validate every visible field; returns the index of the first error
 * (and focuses it), or -1 when all are acceptable. */
int form_validate_all(struct form *form);
/* Move the focus to field i (validating the one left); false if hidden. */
bool form_focus(struct form *form, int i);
/* First/last visible field, -1 if none. */
int form_first(const struct form *form);
int form_last(const struct form *form);
/* Has the user edited any field? */
bool form_changed(const struct form *form);

/* Draw the visible fields from (y, x), labels in label_w columns, values
 * and messages in the rest of width. active: the focus is in the form
 * (else no field shows as focused). Returns the rows used. */
int form_draw(WINDOW *win, struct form *form, int y, int x, int width, int label_w, bool active,
	      bool utf8);
/* The field drawn on window row y, or -1. */
int form_field_at(const struct form *form, int y);

#endif
