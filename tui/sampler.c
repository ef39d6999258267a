/* A connection's background threads: the sampler (every interval: the VM list,
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

#include "net/netcfg.h"
#include "tui.h"

#define SAMPLER_QUEUE_MAX 256

enum sampler_job_kind {
	JOB_ACTION,
	JOB_CONFIG,
	JOB_SET,
	JOB_CLONE,
	JOB_CONSOLE,
	JOB_DEFINE,
	JOB_NET,
	JOB_NET_CONFIG,
	JOB_PREVIEW,
};

struct sampler_job {
	enum sampler_job_kind kind;
	enum tui_action action;
	char name[VM_NAME_MAX + 1];
	struct vm_settings settings;	    /* JOB_SET */
	char new_name[VM_NAME_MAX + 1]; /* JOB_CLONE */
	struct tui_define_request *define; /* JOB_DEFINE, JOB_PREVIEW: heap, the worker frees it */
	struct tui_net_request *net;	   /* JOB_NET: heap, the worker frees it */
	uint64_t seq;			   /* JOB_NET, JOB_PREVIEW: its number */
};

struct tui_sampler {
	struct tui *tui;
	struct tui_conn *conn; /* whose driver these threads call */
	pthread_t sample_thread, work_thread;
	bool sample_running, work_running;
	bool defining; /* the worker runs a define: quit waits for it */

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
	struct tui_net *nets;
	int nr_nets;
	struct hoststat host;
	bool host_ok;

	/* Worker thread only: when a clone's progress last woke the UI. */
	uint64_t clone_wake_ns;
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

/* Per-NIC rates and graphs from the previous counters of the same NIC
 * (same MAC at the same index: a NIC list changed by a restart starts
 * its graphs afresh). */
static void sampler_update_nics(struct tui_vm *row, const struct vm_stats *st)
{
	int n = st->nr_nics < 0 ? 0 : st->nr_nics > VM_MAX_NICS ? VM_MAX_NICS : st->nr_nics;
	uint64_t dt = row->have_prev && st->timestamp_ns > row->prev.timestamp_ns
			  ? st->timestamp_ns - row->prev.timestamp_ns
			  : 0;

	for (int i = 0; i < n; i++) {
		const struct vm_nic_stats *cur = &st->nics[i];
		struct tui_vm_nic *nic = &row->nics[i];
		bool same = i < row->nr_nics && !strcmp(nic->mac, cur->mac);

		if (!same) {
			memset(nic, 0, sizeof(*nic));
			snprintf(nic->mac, sizeof(nic->mac), "%s", cur->mac);
		}
		snprintf(nic->network, sizeof(nic->network), "%s", cur->network);
		nic->rx_dropped = cur->rx_dropped;
		nic->tx_dropped = cur->tx_dropped;
		if (!same || !dt || i >= row->prev.nr_nics ||
		    strcmp(row->prev.nics[i].mac, cur->mac))
			continue;
		nic->rx_rate = sampler_rate(row->prev.nics[i].rx_bytes, cur->rx_bytes, dt);
		nic->tx_rate = sampler_rate(row->prev.nics[i].tx_bytes, cur->tx_bytes, dt);
		history_push(&nic->rx_hist, (float)nic->rx_rate);
		history_push(&nic->tx_hist, (float)nic->tx_rate);
	}
	row->nr_nics = n;
}

/* One VM's stats into its row: rates from the previous counters. */
static void sampler_update_stats(struct tui_sampler *s, struct tui_vm *row)
{
	struct driver *drv = s->conn->drv;
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
		history_push(&row->mem_hist, 0);
		for (int i = 0; i < row->nr_nics; i++) {
			row->nics[i].rx_rate = row->nics[i].tx_rate = 0;
			history_push(&row->nics[i].rx_hist, 0);
			history_push(&row->nics[i].tx_hist, 0);
		}
		return;
	}
	row->has_stats = true;
	row->mem_bytes = st.memory_bytes;
	row->mem_rss_bytes = st.memory_rss_bytes;
	history_push(&row->mem_hist, (float)st.memory_rss_bytes);
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
	sampler_update_nics(row, &st);
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

static struct tui_net *sampler_find_net(struct tui_net *nets, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(nets[i].info.name, name))
			return &nets[i];
	return NULL;
}

/* The networks with their rates (from the previous counters) and graphs.
 * Returns 0, or the driver's error (the previous list is kept). */
static int sampler_sample_nets(struct tui_sampler *s, char *err, size_t errlen)
{
	struct driver *drv = s->conn->drv;
	struct net_info *infos = NULL;
	struct tui_net *nets;
	uint64_t now = tui_now_ns();
	int n = 0, r;

	r = drv->ops->net_list(drv, &infos, &n, err, errlen);
	if (r)
		return r;
	nets = calloc(n ? (size_t)n : 1, sizeof(*nets));
	if (!nets) {
		free(infos);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		struct tui_net *old = sampler_find_net(s->nets, s->nr_nets, infos[i].name);
		struct tui_net *net = &nets[i];

		if (old)
			*net = *old;
		net->info = infos[i];
		/* A switch that restarted counts from 0 again: no rate then. */
		if (net->have_prev && now > net->prev_ns && net->info.rx_bytes >= net->prev_rx &&
		    net->info.tx_bytes >= net->prev_tx) {
			net->rx_rate =
			    sampler_rate(net->prev_rx, net->info.rx_bytes, now - net->prev_ns);
			net->tx_rate =
			    sampler_rate(net->prev_tx, net->info.tx_bytes, now - net->prev_ns);
		} else {
			net->rx_rate = net->tx_rate = 0;
		}
		if (net->have_prev) {
			history_push(&net->rx_hist, (float)net->rx_rate);
			history_push(&net->tx_hist, (float)net->tx_rate);
		}
		net->prev_rx = net->info.rx_bytes;
		net->prev_tx = net->info.tx_bytes;
		net->prev_ns = now;
		net->have_prev = true;
	}
	free(infos);
	free(s->nets);
	s->nets = nets;
	s->nr_nets = n;
	return 0;
}

/* This connection's rows into model.vms (the other connections' rows
 * stay), its networks into its own copy (and the model's when it is the
 * current one). Model lock held. */
static void sampler_publish(struct tui_sampler *s, int r, const char *err, int rn,
			    const char *net_err)
{
	struct tui *tui = s->tui;
	struct tui_conn *conn = s->conn;
	struct tui_model *m = &tui->model;
	bool nets_supported = conn->drv->ops->net_list != NULL;

	if (!r) {
		int others = 0, k = 0;
		struct tui_vm *all;

		for (int i = 0; i < m->nr_vms; i++)
			others += m->vms[i].conn_id != conn->id;
		all = malloc(sizeof(*all) * (size_t)(others + s->nr_rows + 1));
		if (all) {
			for (int i = 0; i < m->nr_vms; i++)
				if (m->vms[i].conn_id != conn->id)
					all[k++] = m->vms[i];
			for (int i = 0; i < s->nr_rows; i++) {
				all[k] = s->rows[i];
				all[k++].conn_id = conn->id;
			}
			free(m->vms);
			m->vms = all;
			m->nr_vms = k;
		}
		conn->listed = true;
		conn->list_error[0] = '\0';
	} else {
		snprintf(conn->list_error, sizeof(conn->list_error), "%s",
			 err[0] ? err : strerror(-r));
	}
	conn->nets_supported = nets_supported;
	if (!rn) {
		struct tui_net *copy =
		    malloc(sizeof(*copy) * (size_t)(s->nr_nets ? s->nr_nets : 1));

		if (copy) {
			memcpy(copy, s->nets, sizeof(*copy) * (size_t)s->nr_nets);
			free(conn->nets);
			conn->nets = copy;
			conn->nr_nets = s->nr_nets;
		}
		conn->nets_listed = true;
		conn->nets_error[0] = '\0';
	} else if (nets_supported) {
		snprintf(conn->nets_error, sizeof(conn->nets_error), "%s",
			 net_err[0] ? net_err : strerror(-rn));
	}
	if (tui->cur_conn == conn->id)
		tui_conn_select_locked(tui, conn->id); /* the model's copies */
}

/* One round: list, stats, host; then publish under the model lock. */
static void sampler_sample(struct tui_sampler *s)
{
	struct tui *tui = s->tui;
	struct driver *drv = s->conn->drv;
	struct vm_info *infos = NULL;
	struct tui_vm *rows = NULL;
	struct host_sample hs;
	char err[256] = "", net_err[256] = "";
	int n = 0, r, rn = -ENOTSUP;
	bool host_ok = false, stopping;

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

	if (drv->ops->net_list)
		rn = sampler_sample_nets(s, net_err, sizeof(net_err));

	if (s->host_ok && !hoststat_sample(&s->host, &hs))
		host_ok = true;
	tui_conn_list_result(s->conn, r, err[0] ? err : r ? strerror(-r) : "");

	pthread_mutex_lock(&s->lock);
	stopping = s->stop; /* left behind by a reconnect: publish nothing */
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_lock(&tui->model.lock);
	if (!stopping)
		sampler_publish(s, r, err, rn, net_err);
	if (host_ok && !stopping) {
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
	struct driver *drv = s->conn->drv;
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
	tui_sampler_refresh(s);
}

static void sampler_run_config(struct tui_sampler *s, const struct sampler_job *job)
{
	struct tui *tui = s->tui;
	struct vm_config *cfg = calloc(1, sizeof(*cfg));
	char err[256] = "";
	int r = -ENOMEM;

	if (cfg)
		r = s->conn->drv->ops->get_config(s->conn->drv, job->name, cfg, err, sizeof(err));
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

/* ---- details page: set and clone (screen-details.c, screen-clone.c) ---- */

static void sampler_run_set(struct tui_sampler *s, const struct sampler_job *job)
{
	struct tui *tui = s->tui;
	char err[512] = "", what[96] = "";
	bool at_next_start = false;
	int r;

	r = s->conn->drv->ops->set(s->conn->drv, job->name, &job->settings, &at_next_start, err,
			       sizeof(err));
	if (job->settings.vcpus)
		snprintf(what, sizeof(what), "%d vCPU%s", job->settings.vcpus,
			 job->settings.vcpus == 1 ? "" : "s");
	if (job->settings.memory_mib)
		snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s%llu MiB memory",
			 what[0] ? ", " : "", (unsigned long long)job->settings.memory_mib);
	if (job->settings.display == VM_SETTING_OFF)
		snprintf(what + strlen(what), sizeof(what) - strlen(what), "%sno display",
			 what[0] ? ", " : "");
	else if (job->settings.display_width)
		snprintf(what + strlen(what), sizeof(what) - strlen(what), "%sdisplay %dx%d",
			 what[0] ? ", " : "", job->settings.display_width,
			 job->settings.display_height);
	else if (job->settings.display == VM_SETTING_ON)
		snprintf(what + strlen(what), sizeof(what) - strlen(what), "%sa VNC display",
			 what[0] ? ", " : "");
	if (r)
		tui_status(tui, TUI_STATUS_ERROR, "%s", err[0] ? err : strerror(-r));
	else if (at_next_start)
		tui_status(tui, TUI_STATUS_INFO, "VM '%s': %s; applies at next start", job->name,
			   what);
	else
		tui_status(tui, TUI_STATUS_INFO, "VM '%s': %s set", job->name, what);
	/* The details page shows the configuration: read it again. */
	pthread_mutex_lock(&tui->model.lock);
	r = strcmp(tui->model.config.name, job->name);
	pthread_mutex_unlock(&tui->model.lock);
	if (!r)
		sampler_run_config(s, job);
	tui_sampler_refresh(s);
}

/* The driver's progress callback: post to the model (the UI draws the
 * bar), and tell the driver to stop when the user cancelled. */
static int sampler_clone_progress(void *opaque, uint64_t done, uint64_t total)
{
	struct tui_sampler *s = opaque;
	struct tui *tui = s->tui;
	char src[VM_NAME_MAX + 1], dst[VM_NAME_MAX + 1];
	uint64_t now = tui_now_ns();
	int old_pct, pct;
	bool cancel, wake;

	pthread_mutex_lock(&tui->model.lock);
	old_pct = tui->model.clone.total
			  ? (int)((double)tui->model.clone.done * 100 / (double)tui->model.clone.total)
			  : -1;
	pct = total ? (int)((double)done * 100 / (double)total) : 0;
	tui->model.clone.done = done;
	tui->model.clone.total = total;
	cancel = tui->model.clone.cancel;
	snprintf(src, sizeof(src), "%s", tui->model.clone.src);
	snprintf(dst, sizeof(dst), "%s", tui->model.clone.dst);
	/* Chunks come far faster than anyone reads: redraw when the
	 * percentage moves or every 100 ms, not for each one. */
	wake = pct != old_pct || !s || now - s->clone_wake_ns >= 100000000ULL;
	if (wake)
		tui->model.generation++;
	pthread_mutex_unlock(&tui->model.lock);
	if (!wake)
		return cancel ? 1 : 0;
	if (s)
		s->clone_wake_ns = now;
	/* The box may be hidden: the status line keeps the percentage. */
	if (pct != old_pct && !cancel)
		tui_status(tui, TUI_STATUS_INFO, "cloning '%s' to '%s': %d%%", src, dst, pct);
	tui_wake(tui);
	return cancel ? 1 : 0;
}

static void sampler_run_clone(struct tui_sampler *s, const struct sampler_job *job)
{
	struct tui *tui = s->tui;
	struct progress progress = {.fn = sampler_clone_progress, .opaque = s};
	char err[512] = "";
	bool cancelled;
	int r;

	r = s->conn->drv->ops->clone(s->conn->drv, job->name, job->new_name, &progress, err, sizeof(err));
	pthread_mutex_lock(&tui->model.lock);
	cancelled = tui->model.clone.cancel;
	tui->model.clone.active = false;
	tui->model.clone.rc = r;
	tui->model.generation++;
	pthread_mutex_unlock(&tui->model.lock);
	if (r && cancelled)
		tui_status(tui, TUI_STATUS_INFO, "clone of '%s' cancelled; '%s' removed", job->name,
			   job->new_name);
	else if (r)
		tui_status(tui, TUI_STATUS_ERROR, "%s", err[0] ? err : strerror(-r));
	else
		tui_status(tui, TUI_STATUS_INFO, "VM '%s' cloned to '%s'", job->name,
			   job->new_name);
	tui_sampler_refresh(s);
}

/* ---- the serial console screen (screen-console.c) ---- */

static void sampler_run_console(struct tui_sampler *s, const struct sampler_job *job)
{
	struct tui *tui = s->tui;
	char err[256] = "";
	int fd = -1, r;

	r = s->conn->drv->ops->console_open(s->conn->drv, job->name, &fd, err, sizeof(err));
	pthread_mutex_lock(&tui->model.lock);
	/* Only if the console screen still waits for this VM. */
	if (!strcmp(tui->model.console.name, job->name) && !tui->model.console.ready) {
		tui->model.console.ready = true;
		tui->model.console.rc = r;
		snprintf(tui->model.console.error, sizeof(tui->model.console.error), "%s",
			 r ? (err[0] ? err : strerror(-r)) : "");
		tui->model.console.fd = r ? -1 : fd;
		fd = -1;
		tui->model.generation++;
	}
	pthread_mutex_unlock(&tui->model.lock);
	if (fd >= 0)
		close(fd);
	tui_wake(tui);
}

/* The wizard's Finish: define, then start if asked. A name taken since
 * the wizard checked it is refused here too, before the driver is asked. */
static void sampler_run_define(struct tui_sampler *s, struct sampler_job *job)
{
	struct tui *tui = s->tui;
	struct driver *drv = s->conn->drv;
	struct tui_define_request *req = job->define;
	struct vm_info info;
	char err[512] = "", serr[512] = "";
	int r, rs = 0;

	r = drv->ops->info(drv, req->cfg.name, &info, err, sizeof(err));
	if (!r) {
		snprintf(err, sizeof(err), "VM '%s' already exists", req->cfg.name);
		r = -EEXIST;
	} else {
		err[0] = '\0';
		r = drv->ops->define(drv, &req->cfg, req->nr_new_disks ? &req->new_disk : NULL,
				     req->nr_new_disks, NULL, err, sizeof(err));
	}
	if (!r && req->start)
		rs = drv->ops->start(drv, req->cfg.name, serr, sizeof(serr));
	pthread_mutex_lock(&tui->model.lock);
	if (!strcmp(tui->model.define.name, req->cfg.name)) {
		tui->model.define.ready = true;
		tui->model.define.rc = r;
		snprintf(tui->model.define.error, sizeof(tui->model.define.error), "%s",
			 r ? (err[0] ? err : strerror(-r)) : rs ? serr : "");
		tui->model.generation++;
	}
	pthread_mutex_unlock(&tui->model.lock);
	if (r)
		tui_status(tui, TUI_STATUS_ERROR, "%s", err[0] ? err : strerror(-r));
	else if (rs)
		tui_status(tui, TUI_STATUS_ERROR, "VM '%s' created but not started: %s",
			   req->cfg.name, serr[0] ? serr : strerror(-rs));
	else
		tui_status(tui, TUI_STATUS_INFO, "VM '%s' created%s", req->cfg.name,
			   req->start ? " and started" : "");
	free(req);
	job->define = NULL;
	tui_sampler_refresh(s);
	tui_wake(tui);
}

/* ---- networks (screen-networks.c, wizard-newnet.c) ---- */

/* What the status line says once a network operation was accepted. */
static void sampler_net_done(const struct tui_net_request *req, char *buf, size_t len)
{
	char fwd[128];

	switch (req->op) {
	case TUI_NET_START:
		snprintf(buf, len, "network '%s' started", req->name);
		break;
	case TUI_NET_STOP:
		snprintf(buf, len, "network '%s' stopped", req->name);
		break;
	case TUI_NET_UNDEFINE:
		snprintf(buf, len, "network '%s' deleted", req->name);
		break;
	case TUI_NET_AUTOSTART:
		snprintf(buf, len, "network '%s': autostart %s", req->name,
			 req->autostart ? "on" : "off");
		break;
	case TUI_NET_FORWARD_ADD:
	case TUI_NET_FORWARD_REMOVE:
		netcfg_format_forward(&req->fwd, fwd, sizeof(fwd));
		snprintf(buf, len, "network '%s': port forward %s %s", req->name, fwd,
			 req->op == TUI_NET_FORWARD_ADD ? "added" : "removed");
		break;
	case TUI_NET_DEFINE:
		snprintf(buf, len, "network '%s' created%s", req->name,
			 req->start ? " and started" : "");
		break;
	}
}

/* Run req. A network defined but not started is a success with a
 * remark in *warn (the wizard's job is done; the status line says why
 * it does not run). */
static int sampler_net_call(struct driver *drv, const struct tui_net_request *req, char *err,
			    size_t errlen, char *warn, size_t warnlen)
{
	const struct driver_ops *ops = drv->ops;
	int r;

	if (!ops->net_list) {
		snprintf(err, errlen, "this connection has no networks");
		return -ENOTSUP;
	}
	switch (req->op) {
	case TUI_NET_START:
		return ops->net_start(drv, req->name, err, errlen);
	case TUI_NET_STOP:
		return ops->net_stop(drv, req->name, err, errlen);
	case TUI_NET_UNDEFINE:
		return ops->net_undefine(drv, req->name, err, errlen);
	case TUI_NET_AUTOSTART:
		return ops->net_set_autostart(drv, req->name, req->autostart, err, errlen);
	case TUI_NET_FORWARD_ADD:
	case TUI_NET_FORWARD_REMOVE:
		return ops->net_forward(drv, req->name, &req->fwd, req->op == TUI_NET_FORWARD_ADD,
					err, errlen);
	case TUI_NET_DEFINE:
		r = ops->net_define(drv, &req->cfg, err, errlen);
		/* nat networks have nothing to run: they are always active. */
		if (!r && req->start && req->cfg.mode != NET_MODE_NAT) {
			char serr[400] = "";
			int rs = ops->net_start(drv, req->name, serr, sizeof(serr));

			if (rs)
				snprintf(warn, warnlen, "network '%s' created but not started: %s",
					 req->name, serr[0] ? serr : strerror(-rs));
		}
		return r;
	}
	return -EINVAL;
}

static void sampler_run_net_config(struct tui_sampler *s, const struct sampler_job *job);

static void sampler_run_net(struct tui_sampler *s, struct sampler_job *job)
{
	struct tui *tui = s->tui;
	struct tui_net_request *req = job->net;
	char err[512] = "", warn[512] = "", done[256];
	int r;

	r = sampler_net_call(s->conn->drv, req, err, sizeof(err), warn, sizeof(warn));
	if (r && !err[0])
		snprintf(err, sizeof(err), "network '%s': %s", req->name, strerror(-r));
	pthread_mutex_lock(&tui->model.lock);
	tui->model.net_reply.seq = job->seq;
	tui->model.net_reply.op = req->op;
	snprintf(tui->model.net_reply.name, sizeof(tui->model.net_reply.name), "%s", req->name);
	tui->model.net_reply.rc = r;
	snprintf(tui->model.net_reply.error, sizeof(tui->model.net_reply.error), "%s",
		 r ? err : warn);
	tui->model.generation++;
	pthread_mutex_unlock(&tui->model.lock);
	if (r) {
		tui_status(tui, TUI_STATUS_ERROR, "%s", err);
	} else if (warn[0]) {
		tui_status(tui, TUI_STATUS_ERROR, "%s", warn);
	} else {
		sampler_net_done(req, done, sizeof(done));
		tui_status(tui, TUI_STATUS_INFO, "%s", done);
	}
	/* The forwards list and details show the definition: read it again. */
	pthread_mutex_lock(&tui->model.lock);
	r = strcmp(tui->model.net_config.name, req->name);
	pthread_mutex_unlock(&tui->model.lock);
	if (!r && req->op != TUI_NET_UNDEFINE) {
		struct sampler_job again = {.kind = JOB_NET_CONFIG};

		snprintf(again.name, sizeof(again.name), "%s", req->name);
		sampler_run_net_config(s, &again);
	}
	free(req);
	job->net = NULL;
	tui_sampler_refresh(s);
}

static void sampler_run_net_config(struct tui_sampler *s, const struct sampler_job *job)
{
	struct tui *tui = s->tui;
	struct net_config *cfg = calloc(1, sizeof(*cfg));
	char err[256] = "";
	int r = -ENOMEM;

	if (cfg && !s->conn->drv->ops->net_get_config) {
		r = -ENOTSUP;
		snprintf(err, sizeof(err), "this connection has no networks");
	} else if (cfg) {
		r = s->conn->drv->ops->net_get_config(s->conn->drv, job->name, cfg, err, sizeof(err));
	}
	pthread_mutex_lock(&tui->model.lock);
	if (!strcmp(tui->model.net_config.name, job->name)) {
		tui->model.net_config.ready = true;
		tui->model.net_config.rc = r;
		snprintf(tui->model.net_config.error, sizeof(tui->model.net_config.error), "%s",
			 r ? (err[0] ? err : strerror(-r)) : "");
		if (!r)
			tui->model.net_config.config = *cfg;
		tui->model.generation++;
	}
	pthread_mutex_unlock(&tui->model.lock);
	free(cfg);
	tui_wake(tui);
}

/* The New VM wizard's summary: what define would create. */
static void sampler_run_preview(struct tui_sampler *s, struct sampler_job *job)
{
	struct tui *tui = s->tui;
	struct driver *drv = s->conn->drv;
	struct tui_define_request *req = job->define;
	char err[256] = "", *text = NULL;
	bool supported = drv->ops->define_preview != NULL;
	int r = -ENOTSUP;

	if (supported)
		r = drv->ops->define_preview(drv, &req->cfg,
					     req->nr_new_disks ? &req->new_disk : NULL,
					     req->nr_new_disks, &text, err, sizeof(err));
	pthread_mutex_lock(&tui->model.lock);
	if (tui->model.preview_seq == job->seq) {
		free(tui->model.preview.text);
		tui->model.preview.text = r ? NULL : text;
		text = NULL;
		tui->model.preview.seq = job->seq;
		tui->model.preview.supported = supported;
		tui->model.preview.rc = r;
		snprintf(tui->model.preview.error, sizeof(tui->model.preview.error), "%s",
			 r ? (err[0] ? err : strerror(-r)) : "");
		tui->model.generation++;
	}
	pthread_mutex_unlock(&tui->model.lock);
	free(text);
	free(req);
	job->define = NULL;
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
		s->defining = job.kind == JOB_DEFINE || job.kind == JOB_NET;
		pthread_mutex_unlock(&s->lock);

		if (job.kind == JOB_ACTION)
			sampler_run_action(s, &job);
		else if (job.kind == JOB_CONSOLE)
			sampler_run_console(s, &job);
		else if (job.kind == JOB_SET)
			sampler_run_set(s, &job);
		else if (job.kind == JOB_CLONE)
			sampler_run_clone(s, &job);
		else if (job.kind == JOB_DEFINE)
			sampler_run_define(s, &job);
		else if (job.kind == JOB_NET)
			sampler_run_net(s, &job);
		else if (job.kind == JOB_NET_CONFIG)
			sampler_run_net_config(s, &job);
		else if (job.kind == JOB_PREVIEW)
			sampler_run_preview(s, &job);
		else
			sampler_run_config(s, &job);
	}
	return NULL;
}

static int sampler_push(struct tui_sampler *s, const struct sampler_job *job)
{
	int r = 0;

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

/* Queue job on connection conn_id's worker (conn->lock keeps the
 * sampler from going away meanwhile). */
static int sampler_enqueue_on(struct tui *tui, int conn_id, const struct sampler_job *job)
{
	struct tui_conn *conn;
	char label[256] = "";
	int r = -ENOTCONN;

	pthread_mutex_lock(&tui->model.lock);
	conn = tui_conn_find(tui, conn_id);
	if (conn)
		snprintf(label, sizeof(label), "%s", tui_conn_label(conn));
	pthread_mutex_unlock(&tui->model.lock);
	if (conn) {
		pthread_mutex_lock(&conn->lock);
		if (conn->sampler)
			r = sampler_push(conn->sampler, job);
		pthread_mutex_unlock(&conn->lock);
	}
	if (r == -ENOTCONN)
		tui_status(tui, TUI_STATUS_ERROR,
			   "connection %s is not connected; wait for it or press X to remove it",
			   label[0] ? label : "(none)");
	return r;
}

/* Queue job on the current connection's worker. */
static int sampler_enqueue(struct tui *tui, const struct sampler_job *job)
{
	int id;

	pthread_mutex_lock(&tui->model.lock);
	id = tui->cur_conn;
	pthread_mutex_unlock(&tui->model.lock);
	return sampler_enqueue_on(tui, id, job);
}

int tui_request_action_on(struct tui *tui, int conn_id, enum tui_action action,
			  const char *name)
{
	struct sampler_job job = {.kind = JOB_ACTION, .action = action};
	int r;

	snprintf(job.name, sizeof(job.name), "%s", name);
	r = sampler_enqueue_on(tui, conn_id, &job);
	if (r == -EAGAIN)
		tui_status(tui, TUI_STATUS_ERROR,
			   "too many actions waiting; try again in a moment");
	return r;
}

int tui_request_preview(struct tui *tui, const struct tui_define_request *req, uint64_t *seq)
{
	struct sampler_job job = {.kind = JOB_PREVIEW};
	int r;

	job.define = malloc(sizeof(*job.define));
	if (!job.define)
		return -ENOMEM;
	*job.define = *req;
	pthread_mutex_lock(&tui->model.lock);
	job.seq = ++tui->model.preview_seq;
	pthread_mutex_unlock(&tui->model.lock);
	r = sampler_enqueue(tui, &job);
	if (r) {
		free(job.define);
		return r;
	}
	if (seq)
		*seq = job.seq;
	return 0;
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

int tui_request_set(struct tui *tui, const char *name, const struct vm_settings *changes)
{
	struct sampler_job job = {.kind = JOB_SET, .settings = *changes};

	snprintf(job.name, sizeof(job.name), "%s", name);
	return sampler_enqueue(tui, &job);
}

int tui_request_clone(struct tui *tui, const char *name, const char *new_name)
{
	struct sampler_job job = {.kind = JOB_CLONE};
	int r;

	snprintf(job.name, sizeof(job.name), "%s", name);
	snprintf(job.new_name, sizeof(job.new_name), "%s", new_name);
	pthread_mutex_lock(&tui->model.lock);
	if (tui->model.clone.active) {
		pthread_mutex_unlock(&tui->model.lock);
		return -EBUSY;
	}
	memset(&tui->model.clone, 0, sizeof(tui->model.clone));
	tui->model.clone.active = true;
	snprintf(tui->model.clone.src, sizeof(tui->model.clone.src), "%s", name);
	snprintf(tui->model.clone.dst, sizeof(tui->model.clone.dst), "%s", new_name);
	tui->model.generation++;
	pthread_mutex_unlock(&tui->model.lock);
	r = sampler_enqueue(tui, &job);
	if (r) {
		pthread_mutex_lock(&tui->model.lock);
		tui->model.clone.active = false;
		pthread_mutex_unlock(&tui->model.lock);
	}
	return r;
}

void tui_clone_cancel(struct tui *tui)
{
	pthread_mutex_lock(&tui->model.lock);
	if (tui->model.clone.active)
		tui->model.clone.cancel = true;
	pthread_mutex_unlock(&tui->model.lock);
}

int tui_request_console(struct tui *tui, const char *name)
{
	struct sampler_job job = {.kind = JOB_CONSOLE};

	snprintf(job.name, sizeof(job.name), "%s", name);
	pthread_mutex_lock(&tui->model.lock);
	/* A connection nobody took (the screen left before it came) goes. */
	if (tui->model.console.fd >= 0 && tui->model.console.ready)
		close(tui->model.console.fd);
	memset(&tui->model.console, 0, sizeof(tui->model.console));
	tui->model.console.fd = -1;
	snprintf(tui->model.console.name, sizeof(tui->model.console.name), "%s", name);
	pthread_mutex_unlock(&tui->model.lock);
	return sampler_enqueue(tui, &job);
}

int tui_request_define(struct tui *tui, const struct tui_define_request *req)
{
	struct sampler_job job = {.kind = JOB_DEFINE};
	int r;

	job.define = malloc(sizeof(*job.define));
	if (!job.define)
		return -ENOMEM;
	*job.define = *req;
	snprintf(job.name, sizeof(job.name), "%s", req->cfg.name);
	pthread_mutex_lock(&tui->model.lock);
	memset(&tui->model.define, 0, sizeof(tui->model.define));
	snprintf(tui->model.define.name, sizeof(tui->model.define.name), "%s", req->cfg.name);
	pthread_mutex_unlock(&tui->model.lock);
	r = sampler_enqueue(tui, &job);
	if (r)
		free(job.define);
	return r;
}

int tui_request_net(struct tui *tui, const struct tui_net_request *req, uint64_t *seq)
{
	struct sampler_job job = {.kind = JOB_NET};
	int r;

	job.net = malloc(sizeof(*job.net));
	if (!job.net)
		return -ENOMEM;
	*job.net = *req;
	snprintf(job.name, sizeof(job.name), "%s", req->name);
	pthread_mutex_lock(&tui->model.lock);
	job.seq = ++tui->model.net_seq;
	pthread_mutex_unlock(&tui->model.lock);
	r = sampler_enqueue(tui, &job);
	if (r) {
		free(job.net);
		if (r == -EAGAIN)
			tui_status(tui, TUI_STATUS_ERROR,
				   "too many actions waiting; try again in a moment");
		return r;
	}
	if (seq)
		*seq = job.seq;
	return 0;
}

int tui_request_net_config(struct tui *tui, const char *name)
{
	struct sampler_job job = {.kind = JOB_NET_CONFIG};

	snprintf(job.name, sizeof(job.name), "%s", name);
	pthread_mutex_lock(&tui->model.lock);
	memset(&tui->model.net_config, 0, sizeof(tui->model.net_config));
	snprintf(tui->model.net_config.name, sizeof(tui->model.net_config.name), "%s", name);
	tui->model.generation++;
	pthread_mutex_unlock(&tui->model.lock);
	return sampler_enqueue(tui, &job);
}

void tui_request_refresh(struct tui *tui)
{
	struct tui_conn *conn;

	/* Every connection: an action may change what several show. */
	pthread_mutex_lock(&tui->model.lock);
	for (int i = 0; i < tui->nr_conns; i++) {
		conn = tui->conns[i];
		pthread_mutex_lock(&conn->lock);
		if (conn->sampler)
			tui_sampler_refresh(conn->sampler);
		pthread_mutex_unlock(&conn->lock);
	}
	pthread_mutex_unlock(&tui->model.lock);
}

void tui_sampler_refresh(struct tui_sampler *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->refresh = true;
	pthread_cond_signal(&s->sample_cond);
	pthread_mutex_unlock(&s->lock);
}

struct tui_sampler *tui_sampler_start(struct tui *tui, struct tui_conn *conn, char *err,
				      size_t errlen)
{
	struct tui_sampler *s = calloc(1, sizeof(*s));
	pthread_condattr_t ca;
	sigset_t all, old;
	char herr[256];
	int r;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->tui = tui;
	s->conn = conn;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->sample_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&s->work_cond, NULL);
	s->host.fd_stat = s->host.fd_meminfo = s->host.fd_diskstats = s->host.fd_netdev = -1;
	/* The dashboard shows this machine: the local connection samples it.
	 * Without /proc the dashboard is empty, the list still works. */
	if (conn->local) {
		s->host_ok = hoststat_open(&s->host, NULL, herr, sizeof(herr)) == 0;
		if (!s->host_ok)
			tui_status(tui, TUI_STATUS_ERROR, "host statistics: %s", herr);
	}

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
		tui_sampler_stop(s);
		return NULL;
	}
	return s;
}

/* pthread_join with a limit: true if the thread ended in time. */
static bool sampler_join_within(pthread_t thread, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return pthread_timedjoin_np(thread, NULL, &ts) == 0;
}

bool tui_sampler_stop(struct tui_sampler *s)
{
	struct tui *tui;
	bool leaked = false;

	if (!s)
		return true;
	tui = s->tui;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_broadcast(&s->sample_cond);
	pthread_cond_broadcast(&s->work_cond);
	pthread_mutex_unlock(&s->lock);
	/* Quitting must be quick even when VMMs answer slowly: the sampler
	 * only reads, so it gets a second to finish its driver call. A clone
	 * (being cancelled) or a define is waited for, so it cleans up after
	 * itself; any other action the worker runs is a request to a VMM
	 * that goes on without us. A thread still busy then keeps its
	 * memory (and its connection's driver): the process is about to
	 * exit, or the connection reconnects with a new driver. */
	if (s->sample_running && !sampler_join_within(s->sample_thread, 1000))
		leaked = true;
	if (s->work_running) {
		bool must_finish;

		pthread_mutex_lock(&tui->model.lock);
		must_finish = tui->model.clone.active;
		pthread_mutex_unlock(&tui->model.lock);
		pthread_mutex_lock(&s->lock);
		must_finish = must_finish || s->defining;
		pthread_mutex_unlock(&s->lock);
		if (must_finish)
			pthread_join(s->work_thread, NULL);
		else if (!sampler_join_within(s->work_thread, 1000))
			leaked = true;
	}
	if (leaked)
		return false;
	if (s->host_ok)
		hoststat_close(&s->host);
	pthread_cond_destroy(&s->sample_cond);
	pthread_cond_destroy(&s->work_cond);
	pthread_mutex_destroy(&s->lock);
	/* Defines queued but never run (the user quit meanwhile). */
	for (int i = 0; i < s->q_count; i++) {
		struct sampler_job *job = &s->queue[(s->q_head + i) % SAMPLER_QUEUE_MAX];

		if (job->kind == JOB_DEFINE || job->kind == JOB_PREVIEW)
			free(job->define);
		else if (job->kind == JOB_NET)
			free(job->net);
	}
	free(s->rows);
	free(s->nets);
	free(s);
	return true;
}
