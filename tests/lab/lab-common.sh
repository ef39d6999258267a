# Shell helpers shared by the nested-lab scripts (sourced, not run): messages,
# the kernel cache location, tool installation, kernel-module lookup, ldd copies.
# POSIX sh (dash on the host); every function is prefixed lab_.

lab_log()
{
	printf '%s: %s\n' "${LAB_PROG:-lab}" "$*" >&2
}

lab_die()
{
	lab_log "error: $*"
	exit 1
}

# The kernel cache reused by every run: $VIRTTY_LAB_CACHE, else
# /var/cache/virtty-lab, else ~/.cache/virtty-lab when /var/cache is not ours.
lab_cache_dir()
{
	if [ -n "${VIRTTY_LAB_CACHE:-}" ]; then
		printf '%s\n' "$VIRTTY_LAB_CACHE"
		return
	fi
	d=/var/cache/virtty-lab
	if mkdir -p "$d" 2>/dev/null && [ -w "$d" ]; then
		printf '%s\n' "$d"
	else
		printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/virtty-lab"
	fi
}

# lab_need_pkg TOOL-PATH-OR-NAME PACKAGE: install PACKAGE with apt-get when
# the tool is missing (root only; otherwise say what to install).
lab_need_pkg()
{
	case "$1" in
	/*) [ -x "$1" ] && return 0 ;;
	*) command -v "$1" >/dev/null 2>&1 && return 0 ;;
	esac
	[ "$(id -u)" = 0 ] || lab_die "'$1' is missing: install the Debian package $2"
	lab_log "installing $2 (for $1)"
	lab_apt_install "$2" || lab_die "apt-get install $2 failed"
}

lab_apt_install()
{
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2 && return 0
	# Stale or missing package lists are the usual cause on a fresh machine.
	apt-get update -q >&2 &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2
}

# A static busybox is what makes an initramfs need no libraries. Debian's
# busybox-static puts it at /bin/busybox (replacing the dynamic one).
lab_static_busybox()
{
	if [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; then
		printf '%s\n' /bin/busybox
		return 0
	fi
	[ "$(id -u)" = 0 ] ||
		lab_die "a static /bin/busybox is needed: install the Debian package busybox-static"
	lab_log "installing busybox-static"
	lab_apt_install busybox-static || lab_die "apt-get install busybox-static failed"
	if [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; then
		printf '%s\n' /bin/busybox
		return 0
	fi
	lab_die "/bin/busybox is still not static after installing busybox-static"
}

# lab_sha256 FILE: the hex digest only.
lab_sha256()
{
	sha256sum "$1" | cut -d' ' -f1
}

# lab_hash_files FILE...: one digest over the contents of several files
# (cache keys for generated images).
lab_hash_files()
{
	for f in "$@"; do
		printf '%s %s\n' "$(lab_sha256 "$f")" "$(basename "$f")"
	done | sha256sum | cut -d' ' -f1
}

# Kernel modules, found by path and ordered by the depends= field of their
# .modinfo section (the Debian package ships no modules.dep and we do not
# want to rely on depmod/modinfo being installed).
#
# lab_modules_resolve MODDIR NAME...: prints, one a line and dependencies
# first, the paths relative to MODDIR of NAME... and everything they need.
lab_modules_resolve()
{
	_lab_moddir=$1
	shift
	_lab_index=$(cd "$_lab_moddir" && find kernel -name '*.ko' |
		awk '{ n = $0; sub(/^.*\//, "", n); sub(/\.ko$/, "", n);
		       gsub(/-/, "_", n); print n, $0 }')
	_lab_done=" "
	_lab_order=""
	for _lab_m in "$@"; do
		_lab_mod_visit "$_lab_m" 0 || return 1
	done
	printf '%s' "$_lab_order"
}

_lab_mod_visit()
{
	local name path deps d
	name=$(printf '%s' "$1" | tr - _)
	case "$_lab_done" in *" $name "*) return 0 ;; esac
	[ "$2" -lt 16 ] || { lab_log "module dependency loop at $name"; return 1; }
	path=$(printf '%s\n' "$_lab_index" | awk -v n="$name" '$1 == n { print $2; exit }')
	if [ -z "$path" ]; then
		lab_log "kernel module '$name' not found under $_lab_moddir/kernel"
		return 1
	fi
	deps=$(tr '\0' '\n' <"$_lab_moddir/$path" | sed -n 's/^depends=//p' | head -n 1 | tr , ' ')
	for d in $deps; do
		_lab_mod_visit "$d" $(($2 + 1)) || return 1
	done
	case "$_lab_done" in *" $name "*) return 0 ;; esac
	_lab_done="$_lab_done$name "
	_lab_order="$_lab_order$path
"
}

# lab_copy_with_libs ROOT BINARY DEST: copy BINARY to ROOT/DEST and every
# shared library ldd lists (and the dynamic loader) to the same path under ROOT.
lab_copy_with_libs()
{
	_lab_root=$1
	mkdir -p "$_lab_root$(dirname "$3")"
	cp -L "$2" "$_lab_root$3" || return 1
	chmod 755 "$_lab_root$3"
	# ldd prints "name => /path (addr)" and, for the loader, "/path (addr)".
	ldd "$2" 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' |
		while read -r lib; do
			[ -e "$_lab_root$lib" ] && continue
			mkdir -p "$_lab_root$(dirname "$lib")"
			cp -L "$lib" "$_lab_root$lib" || exit 1
		done
}

# lab_pack_cpio DIR OUT [gzip]: newc archive of DIR (owned by root), gzip-1
# compressed when asked. Written to a temporary name then renamed so a
# half-written image is never reused.
lab_pack_cpio()
{
	lab_need_pkg cpio cpio
	if [ "${3:-}" = gzip ]; then
		(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$2.tmp.$$"
	else
		(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$2.tmp.$$"
	fi || { rm -f "$2.tmp.$$"; return 1; }
	mv -f "$2.tmp.$$" "$2"
}
