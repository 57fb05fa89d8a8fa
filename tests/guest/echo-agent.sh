#!/bin/sh
# A stand-in for cocoon-agent in the guest boot tests (test_channel.py): it
# checks that /init started it the way docs/guest-image.md promises, then
# answers line commands on the channel it was given.
#
#   started as: echo-agent.sh --channel /dev/vportNpM (COCOON_AGENT_CHANNEL
#   set to the same path). First line sent: "HELLO <channel> <env channel>
#   pid=<pid> ppid=<ppid> oom=<oom_score_adj>". Then, per line received:
#     CGROUP  -> "CGROUP <fs type mounted at /sys/fs/cgroup> <controllers>"
#     CRUN    -> "CRUN <first line of crun --version>"
#     NET     -> "NET <eth0 IPv4/prefix> <default gateway> <nameserver>"
#     RUN     -> "RUN rc=<crun exit status> <container output>" (a busybox
#                container run by crun from a bundle made here)
#     QUIT    -> "BYE", then exit 0 (init then powers the VM off)
#     other   -> "ECHO <line>"
# On end of file on the channel it exits 3.
if [ "$1" != --channel ] || [ -z "$2" ]; then
	echo "echo-agent: usage: echo-agent.sh --channel PATH" >&2
	exit 2
fi
chan=$2
exec 3<>"$chan" || exit 4

one_line() {
	tr '\n' ' ' | sed 's/ *$//'
}

cgroup() {
	fs=none
	while read -r _ dir fstype _; do
		[ "$dir" != /sys/fs/cgroup ] || fs=$fstype
	done </proc/mounts
	echo "CGROUP $fs $(cat /sys/fs/cgroup/cgroup.controllers)"
}

net() {
	addr=$(ip -o -4 addr show dev eth0 | sed 's/.* inet \([^ ]*\).*/\1/')
	gw=$(ip route show default | sed -n 's/^default via \([^ ]*\).*/\1/p')
	dns=$(sed -n 's/^nameserver //p' /etc/resolv.conf 2>/dev/null)
	echo "NET ${addr:-none} ${gw:-none} ${dns:-none}"
}

run_container() {
	b=/run/echo-agent/bundle
	rm -rf "$b"
	mkdir -p "$b/rootfs/bin" || return 1
	cp /usr/bin/busybox "$b/rootfs/bin/busybox" &&
		ln -s busybox "$b/rootfs/bin/sh" &&
		ln -s busybox "$b/rootfs/bin/echo" &&
		crun spec -b "$b" &&
		sed -i -e 's/"terminal": true/"terminal": false/' \
			-e 's/"sh"$/"sh", "-c", "echo hello-from-container pid=$$"/' \
			"$b/config.json" || return 1
	crun run -b "$b" echo-ctr 2>&1 </dev/null
}

echo "HELLO $chan $COCOON_AGENT_CHANNEL pid=$$ ppid=$PPID oom=$(cat /proc/self/oom_score_adj)" >&3
while read -r line <&3; do
	case $line in
	CGROUP) cgroup >&3 ;;
	NET) net >&3 ;;
	CRUN) echo "CRUN $(crun --version 2>&1 | head -n 1)" >&3 ;;
	RUN)
		out=$(run_container)
		echo "RUN rc=$? $(echo "$out" | one_line)" >&3
		;;
	QUIT)
		echo BYE >&3
		exit 0
		;;
	*) echo "ECHO $line" >&3 ;;
	esac
done
exit 3
