/* The frame the New VM and New Network wizards share: the step bar, the
 * Back/Next/Cancel buttons (drawn, clicked, and the keys on them), moving
 * between steps and cancelling. What a step asks, how it is prepared and
 * what Finish sends stay in wizard-newvm.c and wizard-newnet.c, behind a
 * struct wizard_ops. */
#ifndef VIRTTY_TUI_WIZARD_H
#define VIRTTY_TUI_WIZARD_H

#include <stdbool.h>

#include "form.h"
#include "tui.h"

enum wizard_button { WIZARD_BTN_BACK, WIZARD_BTN_NEXT, WIZARD_BTN_CANCEL, WIZARD_NR_BTNS };

/* One wizard, as the frame sees it; owner is the wizard's own state. */
struct wizard_ops {
	const char *what; /* "New VM": the title says "New VM - step 2 of 6: Boot" */
	const char *const *step_names;
	int nr_steps;			 /* the last one is the summary, where Next says Finish */
	const char *cancel_question;	 /* asked on Esc once something was typed */
	const struct screen_ops *screen; /* the wizard's screen, popped on cancel */
	/* Steps the answers so far make pointless (drawn dim, passed over,
	 * not validated); NULL: none. */
	bool (*skipped)(const void *owner, int step);
	/* Go to step, dir (+1, -1) the way to pass over skipped ones; may
	 * refuse (out of range). Prepares the step, then wizard_frame_show. */
	void (*go)(void *owner, int step, int dir);
	/* Next on the summary: every step checked, ask the worker. */
	void (*finish)(struct tui *tui, void *owner);
};

struct wizard_frame {
	const struct wizard_ops *ops;
	void *owner;
	struct form *forms; /* one per step */
	int step;
	int button; /* focused button, -1: a field */
	bool busy;  /* Finish sent, waiting for the worker */
	bool done;  /* created: pop at the next key */
	/* Where the buttons were drawn (window coordinates), for clicks. */
	int btn_y, btn_x0[WIZARD_NR_BTNS], btn_x1[WIZARD_NR_BTNS];
};

/* What a key did in wizard_frame_key(). */
enum wizard_key_result {
	WIZARD_KEY_HANDLED, /* the frame's key: return its tui_result */
	WIZARD_KEY_EDITED,  /* the form changed a value: update what depends on it */
	WIZARD_KEY_FORM,    /* the form took it otherwise (focus moved...): redraw */
};

/* The frame of a wizard at its first step, forms[] one per step. */
void wizard_frame_init(struct wizard_frame *wf, const struct wizard_ops *ops, void *owner,
		       struct form *forms);
/* A field emptied, then set up (text may be NULL: none). */
void wizard_field_init(struct form_field *f, enum form_kind kind, const char *label,
		       const char *text, form_validator validate);
/* Step step's form: fields[0..n), its validators get the owner. */
void wizard_frame_form(struct wizard_frame *wf, int step, struct form_field *fields, int n);
/* Make step the current one, its focus on a visible field. */
void wizard_frame_show(struct wizard_frame *wf, int step);
/* Every step not skipped valid? Else make the first bad one current
 * (its first bad field focused) and return false. */
bool wizard_frame_validate(struct wizard_frame *wf);

/* The keys both wizards give the same meaning: Esc, PgUp/PgDn, Enter, the
 * buttons' Tab/arrows/space, and the form's own (letters never reach the
 * global keys: q quits). *res is what the screen returns on
 * WIZARD_KEY_HANDLED. */
enum wizard_key_result wizard_frame_key(struct tui *tui, struct wizard_frame *wf, int key,
					enum tui_result *res);
/* A click on a button presses it, on a field focuses it. */
enum tui_result wizard_frame_mouse(struct tui *tui, struct wizard_frame *wf, const MEVENT *ev);

/* Erase win and draw the box titled "<what> - step i of n: <step>", and
 * under it the steps, the current one highlighted (where am I, what's
 * left); the attribute is left dim, for the step's intro. */
void wizard_frame_draw_top(struct tui *tui, struct wizard_frame *wf, WINDOW *win);
/* The buttons on the last line inside the box. */
void wizard_frame_draw_buttons(struct wizard_frame *wf, WINDOW *win, int x);
/* One summary line, "  Label     value"; returns the next row. */
int wizard_summary_line(WINDOW *win, int y, int x, int w, const char *label, const char *value);

#endif
