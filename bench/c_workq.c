// SPDX-License-Identifier: GPL-2.0
/*
 * c_workq: the C twin of rust_workq, for `make bench`. Same ioctl ABI (rust_workq_abi.h is
 * generated from ioctl_abi.rs), same work items on the same queues, same log lines and
 * counters, on /dev/mydevice_c. Measured by the same tool in the same boot, it is the baseline
 * the Rust module's cost is compared to.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "rust_workq_abi.h"

static unsigned int verbose = 1;
module_param(verbose, uint, 0444);
MODULE_PARM_DESC(verbose, "Log every submission and run (the lab's lines); 0 keeps only load/unload lines");

/* event() for the per-submission and per-run lines, which verbose=0 turns off. */
#define event(...)                          \
	do {                                \
		if (verbose)                \
			pr_info(__VA_ARGS__); \
	} while (0)

/*
 * The ends of the lines, as the Rust module prints them: the pid of an ioctl's caller, and of the
 * worker running an item ("kworker" when the workqueue core says it is one).
 */
#define FROM "[from pid %d]"
#define FROM_ARGS task_tgid_vnr(current)
#define ON "[on %s%d]"
#define ON_ARGS (current_work() ? "kworker pid " : "pid "), task_tgid_vnr(current)

struct counters {
	atomic64_t submitted, queued, dropped, ran, cancelled;
	atomic64_t submit_ns, submit_jiffies, last_latency_ns, last_latency_jiffies;
};

static struct {
	struct mutex value_lock;
	bool has_value;
	u32 value;
	struct work_struct kick, quick, slow;
	struct delayed_work delayed, resched;
	atomic_t resched_active;
	atomic64_t resched_runs;
	atomic_t resched_period_ms;
	atomic_t stopping;
	struct workqueue_struct *spawn_wq;
	ktime_t epoch;
	struct counters c[RWQ_NR_ITEMS];
} st;

struct spawn_item {
	struct work_struct work;
	u32 value;
};

static u64 now_ns(void)
{
	return ktime_to_ns(ktime_sub(ktime_get(), st.epoch));
}

static void stamp(struct counters *c)
{
	if (atomic64_cmpxchg(&c->submit_ns, 0, now_ns() + 1) == 0)
		atomic64_set(&c->submit_jiffies, jiffies);
}

static bool record(struct counters *c, bool ok)
{
	atomic64_inc(&c->submitted);
	atomic64_inc(ok ? &c->queued : &c->dropped);
	return ok;
}

/*
 * First thing in a work function; returns the ns since the stamped ioctl, or -1. The clock is
 * read first; the run is counted last (release), so that a GET_STATS seeing it counted
 * (acquire) also sees its latency.
 */
static s64 started(struct counters *c)
{
	u64 now = now_ns(), stamp = atomic64_xchg(&c->submit_ns, 0);
	s64 ns = -1;

	if (stamp && now >= stamp - 1) {
		ns = now - (stamp - 1);
		atomic64_set(&c->last_latency_ns, ns);
		atomic64_set(&c->last_latency_jiffies, jiffies - atomic64_read(&c->submit_jiffies));
	}
	atomic64_inc_return_release(&c->ran);
	return ns;
}

static long submitted(const char *name, struct counters *c, bool ok)
{
	if (record(c, ok))
		event("%s: queued " FROM "\n", name, FROM_ARGS);
	else
		event("%s: already queued " FROM "\n", name, FROM_ARGS);
	return 0;
}

static void kick_fn(struct work_struct *w)
{
	bool has;
	u32 v;

	started(&st.c[RWQ_ITEM_KICK]);
	mutex_lock(&st.value_lock);
	has = st.has_value;
	v = st.value;
	st.has_value = false;
	mutex_unlock(&st.value_lock);
	if (has)
		event("worker received: %u " ON "\n", v, ON_ARGS);
	else
		event("worker ran " ON "\n", ON_ARGS);
}

static void quick_fn(struct work_struct *w)
{
	started(&st.c[RWQ_ITEM_QUICK]);
	event("quick " ON "\n", ON_ARGS);
}

static void slow_fn(struct work_struct *w)
{
	started(&st.c[RWQ_ITEM_SLOW]);
	event("slow: sleeping %u ms " ON "\n", RWQ_SLOW_SLEEP_MS, ON_ARGS);
	fsleep(RWQ_SLOW_SLEEP_MS * USEC_PER_MSEC);
	event("slow " ON "\n", ON_ARGS);
}

static void delayed_fn(struct work_struct *w)
{
	s64 ns = started(&st.c[RWQ_ITEM_DELAYED]);

	if (ns >= 0)
		event("delayed worker ran %lld ms after its ioctl " ON "\n",
			ns / NSEC_PER_MSEC, ON_ARGS);
	else
		event("delayed worker ran " ON "\n", ON_ARGS);
}

static void resched_fn(struct work_struct *w)
{
	u64 run;

	started(&st.c[RWQ_ITEM_RESCHED]);
	if (atomic_read_acquire(&st.stopping)) {
		event("resched: stopping flag set, final run, not rescheduling " ON "\n", ON_ARGS);
		atomic_set_release(&st.resched_active, 0);
		return;
	}
	run = atomic64_inc_return(&st.resched_runs);
	event("resched: run %llu/%u " ON "\n", run, RWQ_RESCHED_LIMIT, ON_ARGS);
	if (run >= RWQ_RESCHED_LIMIT) {
		event("resched: limit of %u runs reached, not rescheduling\n", RWQ_RESCHED_LIMIT);
		atomic_set_release(&st.resched_active, 0);
		return;
	}
	if (!record(&st.c[RWQ_ITEM_RESCHED], queue_delayed_work(system_power_efficient_wq, &st.resched,
				msecs_to_jiffies(atomic_read(&st.resched_period_ms)))))
		atomic_set_release(&st.resched_active, 0);
}

static void spawn_fn(struct work_struct *w)
{
	struct spawn_item *item = container_of(w, struct spawn_item, work);

	started(&st.c[RWQ_ITEM_SPAWN]);
	event("spawned worker saw %u " ON "\n", item->value, ON_ARGS);
	kfree(item);
}

static long c_workq_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	u32 __user *uarg = (u32 __user *)arg;
	struct rwq_stats stats;
	struct spawn_item *item;
	u32 v;
	int i;

	switch (cmd) {
	case RWQ_KICK:
		stamp(&st.c[RWQ_ITEM_KICK]);
		return submitted("kick", &st.c[RWQ_ITEM_KICK], queue_work(system_percpu_wq, &st.kick));
	case RWQ_KICK_WITH_VALUE:
		if (get_user(v, uarg))
			return -EFAULT;
		stamp(&st.c[RWQ_ITEM_KICK]);
		mutex_lock(&st.value_lock);
		st.value = v;
		st.has_value = true;
		mutex_unlock(&st.value_lock);
		return submitted("kick", &st.c[RWQ_ITEM_KICK], queue_work(system_percpu_wq, &st.kick));
	case RWQ_KICK_QUICK:
		stamp(&st.c[RWQ_ITEM_QUICK]);
		return submitted("quick", &st.c[RWQ_ITEM_QUICK], queue_work(system_highpri_wq, &st.quick));
	case RWQ_KICK_SLOW:
		stamp(&st.c[RWQ_ITEM_SLOW]);
		return submitted("slow", &st.c[RWQ_ITEM_SLOW], queue_work(system_long_wq, &st.slow));
	case RWQ_KICK_DELAYED:
	case RWQ_KICK_DELAYED_MS:
		if (cmd == RWQ_KICK_DELAYED) {
			v = msecs_to_jiffies(RWQ_KICK_DELAY_MS) + 1;
		} else {
			if (get_user(v, uarg))
				return -EFAULT;
			if (v > RWQ_DELAY_MAX_MS)
				return -EINVAL;
			v = msecs_to_jiffies(v);
		}
		stamp(&st.c[RWQ_ITEM_DELAYED]);
		return submitted("delayed", &st.c[RWQ_ITEM_DELAYED],
				 queue_delayed_work(system_percpu_wq, &st.delayed, v));
	case RWQ_START_RESCHED:
		if (get_user(v, uarg))
			return -EFAULT;
		if (v > RWQ_RESCHED_MAX_PERIOD_MS)
			return -EINVAL;
		if (atomic_cmpxchg(&st.resched_active, 0, 1) != 0)
			return submitted("resched", &st.c[RWQ_ITEM_RESCHED], false);
		atomic64_set(&st.resched_runs, 0);
		atomic_set(&st.resched_period_ms, v);
		if (!queue_delayed_work(system_power_efficient_wq, &st.resched, 0)) {
			atomic_set_release(&st.resched_active, 0);
			return submitted("resched", &st.c[RWQ_ITEM_RESCHED], false);
		}
		return submitted("resched", &st.c[RWQ_ITEM_RESCHED], true);
	case RWQ_SPAWN:
		if (get_user(v, uarg))
			return -EFAULT;
		item = kmalloc(sizeof(*item), GFP_KERNEL);
		if (!record(&st.c[RWQ_ITEM_SPAWN], item != NULL))
			return -ENOMEM;
		INIT_WORK(&item->work, spawn_fn);
		item->value = v;
		queue_work(st.spawn_wq, &item->work);
		return 0;
	case RWQ_GET_STATS:
		for (i = 0; i < RWQ_NR_ITEMS; i++) {
			struct rwq_item_stats *o = &((struct rwq_item_stats *)&stats)[i];
			struct counters *c = &st.c[i];

			o->submitted = atomic64_read(&c->submitted);
			o->queued = atomic64_read(&c->queued);
			o->dropped = atomic64_read(&c->dropped);
			o->ran = atomic64_read_acquire(&c->ran);
			o->cancelled = atomic64_read(&c->cancelled);
			o->last_latency_ns = atomic64_read(&c->last_latency_ns);
			o->last_latency_jiffies = atomic64_read(&c->last_latency_jiffies);
		}
		return copy_to_user((void __user *)arg, &stats, sizeof(stats)) ? -EFAULT : 0;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations c_workq_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = c_workq_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice c_workq_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "mydevice_c",
	.fops = &c_workq_fops,
};

static int __init c_workq_init(void)
{
	int ret;

	mutex_init(&st.value_lock);
	INIT_WORK(&st.kick, kick_fn);
	INIT_WORK(&st.quick, quick_fn);
	INIT_WORK(&st.slow, slow_fn);
	INIT_DELAYED_WORK(&st.delayed, delayed_fn);
	INIT_DELAYED_WORK(&st.resched, resched_fn);
	st.epoch = ktime_get();
	st.spawn_wq = alloc_workqueue("c_workq_spawn", WQ_PERCPU, 0);
	if (!st.spawn_wq)
		return -ENOMEM;
	ret = misc_register(&c_workq_dev);
	if (ret) {
		destroy_workqueue(st.spawn_wq);
		return ret;
	}
	pr_info("loaded: /dev/mydevice_c ready\n");
	return 0;
}

static void __exit c_workq_exit(void)
{
	int i;

	misc_deregister(&c_workq_dev);
	atomic_set_release(&st.stopping, 1);
	for (i = 0; i < 3 && atomic_read_acquire(&st.resched_active); i++)
		flush_delayed_work(&st.resched);
	atomic64_add(disable_work_sync(&st.kick), &st.c[RWQ_ITEM_KICK].cancelled);
	atomic64_add(disable_work_sync(&st.quick), &st.c[RWQ_ITEM_QUICK].cancelled);
	atomic64_add(disable_work_sync(&st.slow), &st.c[RWQ_ITEM_SLOW].cancelled);
	atomic64_add(disable_delayed_work_sync(&st.delayed), &st.c[RWQ_ITEM_DELAYED].cancelled);
	atomic64_add(disable_delayed_work_sync(&st.resched), &st.c[RWQ_ITEM_RESCHED].cancelled);
	destroy_workqueue(st.spawn_wq);
	pr_info("unloaded\n");
}

module_init(c_workq_init);
module_exit(c_workq_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("C twin of rust_workq: the baseline for make bench");
