#!/bin/sh
# fetch-kernel.sh: make sure the Debian 12 cloud kernel used by the nested lab
# is downloaded and unpacked in the lab cache, then print where it is:
#   vmlinuz=/path/to/vmlinuz-VERSION
#   modules=/path/to/lib/modules/VERSION
# Quick and offline when the cache is already filled. --update fetches again.
set -eu
LAB_PROG=fetch-kernel
. "$(dirname "$0")/lab-common.sh"

update=no
case "${1:-}" in
--update) update=yes ;;
"") ;;
*)
	echo "usage: $0 [--update]" >&2
	exit 2
	;;
esac

cache=$(lab_cache_dir)
mkdir -p "$cache" || lab_die "cannot create the cache directory $cache"
cd "$cache"
# Parallel runs (make check, make bench) share the cache: one at a time.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache/.lock"
	flock 9
fi

# Newest cached linux-image-<version>-cloud-amd64 .deb (not the meta package).
cached_deb()
{
	ls linux-image-[0-9]*-cloud-amd64_*_amd64.deb 2>/dev/null | sort -V | tail -n 1
}

# The versioned image package the meta package depends on right now.
resolve_image_pkg()
{
	apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -n 1
}

download()
{
	pkg=$(resolve_image_pkg)
	if [ -z "$pkg" ]; then
		lab_log "apt does not know linux-image-cloud-amd64 yet: running apt-get update"
		apt-get update -q >&2 || lab_die "apt-get update failed"
		pkg=$(resolve_image_pkg)
		[ -n "$pkg" ] || lab_die "cannot resolve linux-image-cloud-amd64 with apt-cache depends"
	fi
	lab_log "downloading linux-image-cloud-amd64 and $pkg into $cache"
	# A 404 means the package lists are older than the mirror: update once.
	if ! apt-get download -q linux-image-cloud-amd64 "$pkg" >&2; then
		apt-get update -q >&2 || lab_die "apt-get update failed"
		pkg=$(resolve_image_pkg)
		apt-get download -q linux-image-cloud-amd64 "$pkg" >&2 ||
			lab_die "apt-get download $pkg failed"
	fi
}

deb=$(cached_deb)
if [ -z "$deb" ] || [ "$update" = yes ]; then
	download
	deb=$(cached_deb)
	[ -n "$deb" ] || lab_die "no linux-image-*-cloud-amd64 .deb in $cache after download"
fi

# x/ holds the extraction of exactly one .deb; x/.deb names it, and is written
# last, so an interrupted extraction is redone.
if [ "$(cat x/.deb 2>/dev/null)" != "$deb" ]; then
	lab_log "unpacking $deb"
	rm -rf x.tmp
	mkdir x.tmp
	dpkg-deb -x "$deb" x.tmp || lab_die "dpkg-deb -x $deb failed"
	printf '%s\n' "$deb" >x.tmp/.deb
	rm -rf x
	mv x.tmp x
fi

vmlinuz=$(ls "$cache"/x/boot/vmlinuz-* 2>/dev/null | head -n 1)
modules=$(ls -d "$cache"/x/lib/modules/*/ 2>/dev/null | head -n 1)
[ -n "$vmlinuz" ] && [ -n "$modules" ] || lab_die "$cache/x does not hold a kernel and modules"
printf 'vmlinuz=%s\nmodules=%s\n' "$vmlinuz" "${modules%/}"
