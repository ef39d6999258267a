/* The TUI's background threads: the sampler (every interval: the VM list,
 * stats of running VMs, CPU% and rates from deltas, the host sample) and
 * the worker (user actions and config reads). Both call the driver, which
 * may take a second on a hung VMM; the UI thread only reads what they post
 * to the model, so it never waits on them. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tui.h"

#define SAMPLER_QUEUE_MAX 256

enum sampler_job_kind { JOB_ACTION, JOB_CONFIG };

struct sampler_job {
	enum sampler_job_kind kind;
	enum tui_action action;
	char name[VM_NAME_MAX + 1];
};

struct tui_sampler {
	struct tui *tui;
	pthread_t sample_thread, work_thread;
	bool sample_running, work_running;

	pthread_mutex_t lock; /* everything below */
	pthread_cond_t sample_cond, work_cond;
	bool stop;
	bool refresh; /* sample now */
	struct sampler_job queue[SAMPLER_QUEUE_MAX];
	int q_head, q_count;

	/* Sampler thread only: rows with their history, carried from one
	 * sample to the next. */
	struct tui_vm *rows;
	int nr_rows;
	struct hoststat host;
	bool host_ok;
};

const char *tui_action_name(enum tui_action action)
{
	switch (action) {
	case TUI_ACTION_START:
		return "start";
	case TUI_ACTION_SHUTDOWN:
		return "shut down";
	case TUI_ACTION_DESTROY:
		return "force off";
	case TUI_ACTION_REBOOT:
		return "reboot";
	case TUI_ACTION_PAUSE:
		return "pause";
	case TUI_ACTION_RESUME:
		return "resume";
	case TUI_ACTION_UNDEFINE:
		return "delete";
	}
	return "?";
}

/* What the status line says once an action was accepted. */
static const char *sampler_action_done(enum tui_action action)
{
	switch (action) {
	case TUI_ACTION_START:
		return "started";
	case TUI_ACTION_SHUTDOWN:
		return "is shutting down";
	case TUI_ACTION_DESTROY:
		return "forced off";
	case TUI_ACTION_REBOOT:
		return "rebooted";
	case TUI_ACTION_PAUSE:
		return "paused";
	case TUI_ACTION_RESUME:
		return "resumed";
	case TUI_ACTION_UNDEFINE:
		return "deleted";
	}
	return "done";
}

static struct tui_vm *sampler_find_row(struct tui_vm *rows, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(rows[i].info.name, name))
			return &rows[i];
	return NULL;
}

static double sampler_rate(uint64_t older, uint64_t newer, uint64_t dt_ns)
{
	if (newer < older || !dt_ns) /* counters reset: the VM restarted */
		return 0;
	return (double)(newer - older) * 1e9 / (double)dt_ns;
}

/* One VM's stats into its row: rates from the previous counters. */
static void sampler_update_stats(struct tui_sampler *s, struct tui_vm *row)
{
	struct driver *drv = s->tui->drv;
	struct vm_stats st;
	char err[256];
	bool alive = row->info.state == VM_STATE_RUNNING || row->info.state == VM_STATE_PAUSED ||
		     row->info.state == VM_STATE_SHUTTING_DOWN;

	if (!alive || drv->ops->stats(drv, row->info.name, &st, err, sizeof(err))) {
		row->has_stats = false;
		row->have_prev = false;
		row->cpu_percent = 0;
		row->disk_rd_rate = row->disk_wr_rate = 0;
		row->net_rx_rate = row->net_tx_rate = 0;
		/* Keep the graphs moving so they stay in step with time. */
		history_push(&row->cpu_hist, 0);
		history_push(&row->disk_hist, 0);
		history_push(&row->net_hist, 0);
		return;
	}
	row->has_stats = true;
	row->mem_bytes = st.memory_bytes;
	row->mem_rss_bytes = st.memory_rss_bytes;
	if (row->have_prev && st.timestamp_ns > row->prev.timestamp_ns) {
		uint64_t dt = st.timestamp_ns - row->prev.timestamp_ns;

		row->cpu_percent = vm_stats_cpu_percent(&row->prev, &st);
		if (row->cpu_percent < 0)
			row->cpu_percent = 0;
		row->disk_rd_rate = sampler_rate(row->prev.disk_rd_bytes, st.disk_rd_bytes, dt);
		row->disk_wr_rate = sampler_rate(row->prev.disk_wr_bytes, st.disk_wr_bytes, dt);
		row->net_rx_rate = sampler_rate(row->prev.net_rx_bytes, st.net_rx_bytes, dt);
		row->net_tx_rate = sampler_rate(row->prev.net_tx_bytes, st.net_tx_bytes, dt);
		history_push(&row->cpu_hist, (float)row->cpu_percent);
		history_push(&row->disk_hist, (float)(row->disk_rd_rate + row->disk_wr_rate));
		history_push(&row->net_hist, (float)(row->net_rx_rate + row->net_tx_rate));
	}
	row->prev = st;
	row->have_prev = true;
}

static void sampler_push_host(struct tui_host_history *hh, const struct host_sample *hs)
{
	int ncpus = hs->ncpus < HOSTSTAT_MAX_CPUS ? hs->ncpus : HOSTSTAT_MAX_CPUS;

	if (!hs->rates_valid)
		return; /* the first sample has no CPU% or rates yet */
	for (int i = 0; i < ncpus; i++)
		history_push(&hh->cpu_core[i], hs->cpu_percent[i]);
	history_push(&hh->cpu_total, hs->cpu_total_percent);
	if (hs->mem_total) {
		history_push(&hh->mem_used, (float)(100.0 * hs->mem_used / hs->mem_total));
		history_push(&hh->mem_cached, (float)(100.0 * hs->mem_cached / hs->mem_total));
	}
	history_push(&hh->disk_rd, (float)hs->disk_read_bps);
	history_push(&hh->disk_wr, (float)hs->disk_write_bps);
	history_push(&hh->net_rx, (float)hs->net_rx_bps);
	history_push(&hh->net_tx, (float)hs->net_tx_bps);
}

/* One round: list, stats, host; then publish under the model lock. */
static void sampler_sample(struct tui_sampler *s)
{
	struct tui *tui = s->tui;
	struct driver *drv = tui->drv;
	struct vm_info *infos = NULL;
	struct tui_vm *rows = NULL;
	struct host_sample hs;
	char err[256] = "";
	int n = 0, r;
	bool host_ok = false;

	r = drv->ops->list(drv, &infos, &n, err, sizeof(err));
	if (!r) {
		rows = calloc(n ? (size_t)n : 1, sizeof(*rows));
		if (!rows) {
			r = -ENOMEM;
			snprintf(err, sizeof(err), "out of memory");
		}
	}
	if (!r) {
		for (int i = 0; i < n; i++) {
			struct tui_vm *old = sampler_find_row(s->rows, s->nr_rows, infos[i].name);

			/* Keep history and previous counters across samples. */
			if (old)
				rows[i] = *old;
			rows[i].info = infos[i];
			sampler_update_stats(s, &rows[i]);
		}
		free(s->rows);
		s->rows = rows;
		s->nr_rows = n;
	}
	free(infos);

	if (s->host_ok && !hoststat_sample(&s->host, &hs))
		host_ok = true;

	pthread_mutex_lock(&tui->model.lock);
	if (!r) {
		struct tui_vm *copy = malloc(sizeof(*copy) * (size_t)(n ? n : 1));

		if (copy) {
			memcpy(copy, s->rows, sizeof(*copy) * (size_t)n);
			free(tui->model.vms);
			tui->model.vms = copy;
			tui->model.nr_vms = n;
		}
		tui->model.listed = true;
		tui->model.list_error[0] = '\0';
	} else {
		snprintf(tui->model.list_error, sizeof(tui->model.list_error), "%s",
			 err[0] ? err : strerror(-r));
	}
	if (host_ok) {
		tui->model.host = hs;
		tui->model.have_host = true;
		sampler_push_host(tui->model.host_hist, &hs);
	}
	tui->model.generation++;
	pthread_mutex_unlock(&tui->model.lock);
	tui_wake(tui);
}

static void sampler_deadline(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *sampler_thread(void *arg)
{
	struct tui_sampler *s = arg;
	unsigned interval = s->tui->opts.interval_ms;

	for (;;) {
		struct timespec deadline;

		sampler_sample(s);
		sampler_deadline(&deadline, interval);
		pthread_mutex_lock(&s->lock);
		while (!s->stop && !s->refresh &&
		       pthread_cond_timedwait(&s->sample_cond, &s->lock, &deadline) != ETIMEDOUT)
			;
		s->refresh = false;
		if (s->stop) {
			pthread_mutex_unlock(&s->lock);
			break;
		}
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

static void sampler_run_action(struct tui_sampler *s, const struct sampler_job *job)
{
	struct tui *tui = s->tui;
	struct driver *drv = tui->drv;
	char err[512] = "";
	int r = -ENOTSUP;

	switch (job->action) {
	case TUI_ACTION_START:
		r = drv->ops->start(drv, job->name, err, sizeof(err));
		break;
	case TUI_ACTION_SHUTDOWN:
		r = drv->ops->shutdown(drv, job->name, err, sizeof(err));
		break;
	case TUI_ACTION_DESTROY:
		r = drv->ops->destroy(drv, job->name, err, sizeof(err));
		break;
	case TUI_ACTION_REBOOT:
		r = drv->ops->reboot(drv, job->name, err, sizeof(err));
		break;
	case TUI_ACTION_PAUSE:
		r = drv->ops->pause(drv, job->name, err, sizeof(err));
		break;
	case TUI_ACTION_RESUME:
		r = drv->ops->resume(drv, job->name, err, sizeof(err));
		break;
	case TUI_ACTION_UNDEFINE:
		/* As the CLI's default: disks in the VM's storage are moved
		 * aside, not removed, so a slip of the finger is recoverable. */
		r = drv->ops->undefine(drv, job->name, 0, err, sizeof(err));
		break;
	}
	if (r)
		tui_status(tui, TUI_STATUS_ERROR, "%s", err[0] ? err : strerror(r < 0 ? -r : r));
	else
		tui_status(tui, TUI_STATUS_INFO, "VM '%s' %s", job->name,
			   sampler_action_done(job->action));
	tui_request_refresh(tui);
}

static void sampler_run_config(struct tui_sampler *s, const struct sampler_job *job)
{
	struct tui *tui = s->tui;
	struct vm_config *cfg = calloc(1, sizeof(*cfg));
	char err[256] = "";
	int r = -ENOMEM;

	if (cfg)
		r = tui->drv->ops->get_config(tui->drv, job->name, cfg, err, sizeof(err));
	pthread_mutex_lock(&tui->model.lock);
	/* Only if the panel still waits for this VM. */
	if (!strcmp(tui->model.config.name, job->name)) {
		tui->model.config.ready = true;
		tui->model.config.rc = r;
		snprintf(tui->model.config.error, sizeof(tui->model.config.error), "%s",
			 r ? (err[0] ? err : strerror(-r)) : "");
		if (!r)
			tui->model.config.config = *cfg;
		tui->model.generation++;
	}
	pthread_mutex_unlock(&tui->model.lock);
	free(cfg);
	tui_wake(tui);
}

static void *sampler_worker(void *arg)
{
	struct tui_sampler *s = arg;

	for (;;) {
		struct sampler_job job;

		pthread_mutex_lock(&s->lock);
		while (!s->stop && !s->q_count)
			pthread_cond_wait(&s->work_cond, &s->lock);
		if (s->stop) {
			pthread_mutex_unlock(&s->lock);
			break;
		}
		job = s->queue[s->q_head];
		s->q_head = (s->q_head + 1) % SAMPLER_QUEUE_MAX;
		s->q_count--;
		pthread_mutex_unlock(&s->lock);

		if (job.kind == JOB_ACTION)
			sampler_run_action(s, &job);
		else
			sampler_run_config(s, &job);
	}
	return NULL;
}

static int sampler_enqueue(struct tui *tui, const struct sampler_job *job)
{
	struct tui_sampler *s = tui->sampler;
	int r = 0;

	if (!s)
		return -ENOTCONN;
	pthread_mutex_lock(&s->lock);
	if (s->q_count == SAMPLER_QUEUE_MAX) {
		r = -EAGAIN;
	} else {
		s->queue[(s->q_head + s->q_count) % SAMPLER_QUEUE_MAX] = *job;
		s->q_count++;
		pthread_cond_signal(&s->work_cond);
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

int tui_request_action(struct tui *tui, enum tui_action action, const char *name)
{
	struct sampler_job job = {.kind = JOB_ACTION, .action = action};
	int r;

	snprintf(job.name, sizeof(job.name), "%s", name);
	r = sampler_enqueue(tui, &job);
	if (r == -EAGAIN)
		tui_status(tui, TUI_STATUS_ERROR,
			   "too many actions waiting; try again in a moment");
	return r;
}

int tui_request_config(struct tui *tui, const char *name)
{
	struct sampler_job job = {.kind = JOB_CONFIG};

	snprintf(job.name, sizeof(job.name), "%s", name);
	pthread_mutex_lock(&tui->model.lock);
	memset(&tui->model.config, 0, sizeof(tui->model.config));
	snprintf(tui->model.config.name, sizeof(tui->model.config.name), "%s", name);
	pthread_mutex_unlock(&tui->model.lock);
	return sampler_enqueue(tui, &job);
}

void tui_request_refresh(struct tui *tui)
{
	struct tui_sampler *s = tui->sampler;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->refresh = true;
	pthread_cond_signal(&s->sample_cond);
	pthread_mutex_unlock(&s->lock);
}

int tui_sampler_start(struct tui *tui, char *err, size_t errlen)
{
	struct tui_sampler *s = calloc(1, sizeof(*s));
	pthread_condattr_t ca;
	sigset_t all, old;
	char herr[256];
	int r;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->tui = tui;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->sample_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&s->work_cond, NULL);
	s->host.fd_stat = s->host.fd_meminfo = s->host.fd_diskstats = s->host.fd_netdev = -1;
	/* Without /proc the dashboard is empty, the list still works. */
	s->host_ok = hoststat_open(&s->host, NULL, herr, sizeof(herr)) == 0;
	if (!s->host_ok)
		tui_status(tui, TUI_STATUS_ERROR, "host statistics: %s", herr);
	tui->sampler = s;

	/* Signals (SIGWINCH above all) must interrupt the UI thread's poll(),
	 * not land in these threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&s->sample_thread, NULL, sampler_thread, s);
	s->sample_running = r == 0;
	if (!r) {
		r = pthread_create(&s->work_thread, NULL, sampler_worker, s);
		s->work_running = r == 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		snprintf(err, errlen, "cannot start the sampler thread: %s", strerror(r));
		tui_sampler_stop(tui);
		return -r;
	}
	return 0;
}

void tui_sampler_stop(struct tui *tui)
{
	struct tui_sampler *s = tui->sampler;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_broadcast(&s->sample_cond);
	pthread_cond_broadcast(&s->work_cond);
	pthread_mutex_unlock(&s->lock);
	/* A driver call in progress finishes first (a second at most on a
	 * hung VMM); an action the user asked for is not cut in half. */
	if (s->sample_running)
		pthread_join(s->sample_thread, NULL);
	if (s->work_running)
		pthread_join(s->work_thread, NULL);
	tui->sampler = NULL;
	if (s->host_ok)
		hoststat_close(&s->host);
	pthread_cond_destroy(&s->sample_cond);
	pthread_cond_destroy(&s->work_cond);
	pthread_mutex_destroy(&s->lock);
	free(s->rows);
	free(s);
}
