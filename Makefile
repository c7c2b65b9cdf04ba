# Kindling: build, test, install.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
SHELL := /bin/bash
SWIFT ?= swift
SWIFTFLAGS ?=

# Debian packages the build, the tests and a kdump image need.
DEBIAN_PACKAGES = zlib1g-dev libdeflate-dev libkmod-dev pkg-config kmod cpio dracut-core busybox-static makedumpfile \
	kexec-tools e2fsprogs dosfstools mtools qemu-system-x86 udev binutils gcc \
	zstd xz-utils lz4 lzop lbzip2 bzip2 pigz time util-linux fdisk dash \
	dracut-network nfs-common rpcbind isc-dhcp-client iputils-arping open-iscsi cifs-utils nbd-client iproute2 \
	lvm2 dmsetup mdadm cryptsetup-bin dmraid kpartx btrfs-progs xfsprogs systemd dbus dpkg-dev kbd console-setup \
	shellcheck chromium libxml2-utils python3 squashfs-tools dracut-squash openssh-client \
	systemd-boot-efi sbsigntool ovmf openssl nfs-ganesha nfs-ganesha-vfs dropbear-bin debootstrap

.PHONY: all build release deps test unit-test integration-test kdump-test kdump-image bench bench-scale install uninstall clean

all: build

# kindling-dmload (Sources/kindling-dmload), the kdump image's device-mapper loader, is C that must
# need the C library alone. SwiftPM links every executable with swiftc, which makes it need
# libswiftCore (with --static-swift-stdlib, libstdc++ and libm) whatever its language, so it is
# compiled here, beside kindling in SwiftPM's build directory (.build/debug, .build/release).
CC ?= cc
DMLOAD_SOURCES = $(wildcard Sources/kindling-dmload/*.c)
DMLOAD_CFLAGS ?= -std=gnu11 -O2 -Wall -Wextra -Wl,--as-needed
# $(call dmload,SWIFT BUILD FLAGS): compiles it into the directory those flags build into.
dmload = bin=$$($(SWIFT) build $(1) --show-bin-path) && \
	$(CC) $(DMLOAD_CFLAGS) -o "$$bin/kindling-dmload" $(DMLOAD_SOURCES)

build:
	$(SWIFT) build $(SWIFTFLAGS)
	$(call dmload,$(SWIFTFLAGS))

# The Swift runtime is linked in, so installed binaries need only system libraries, not /opt/swift.
release:
	$(SWIFT) build -c release --static-swift-stdlib $(SWIFTFLAGS)
	$(call dmload,-c release $(SWIFTFLAGS))

# Installs what the build and the tests need (Debian 12, as root), and the Debian 13 root with
# dracut-ng 106 that the parity tests against dracut-ng run in (built once, into the test cache).
deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(DEBIAN_PACKAGES)
	Tests/support/trixie-root

# lint (mk/lint.mk) first: shellcheck and swift-format take seconds, and need no build.
test: lint unit-test integration-test kdump-test

unit-test:
	$(SWIFT) build --build-tests $(SWIFTFLAGS)
	$(SWIFT) test --skip-build $(SWIFTFLAGS)

integration-test: build
	Tests/integration/run-all.sh

# Real kernel panics under QEMU, captured by Kindling's kdump image.
kdump-test: build
	Tests/kdump/run-all.sh

# Side by side with dracut 059 on the same work, printing ratios.
bench: release
	bench/run

# Time per module for 1..500 dracut modules and 0..1000 kernel modules (about 15 minutes), then
# Documentation/performance.svg from the points (bench/plot). bench/profile says where time goes.
SCALE_POINTS ?= bench-scale.tsv
bench-scale: release
	bench/scale $(SCALE_POINTS)
	bench/plot $(SCALE_POINTS) Documentation/performance.svg

# A kdump capture image for a real kernel (Debian's current 6.1 kernel, fetched into the test
# cache), with the dump target of KDUMP_CONFIG_FILE (default: Documentation/examples/kdump.conf),
# and kdump.svg, the map of what each module put into it.
KDUMP_CONFIG_FILE ?= $(CURDIR)/Documentation/examples/kdump.conf
# As Fedora's mkdumprd: modules a dracut.conf.d may add (dracut-network adds ifcfg) stay out.
KDUMP_OMIT ?= plymouth resume ifcfg earlykdump
kdump-image: release
	set -e; read -r kver root < <(Tests/support/kernel-cache); \
	KDUMP_CONFIG_FILE=$(KDUMP_CONFIG_FILE) .build/release/kindling --force --kver "$$kver" \
		--kmoddir "$$root/lib/modules/$$kver" -m kdumpbase -o "$(KDUMP_OMIT)" --explain-svg kdump.svg kdump.img; \
	.build/release/kindling-lsinitrd kdump.img | head -n 20; ls -l kdump.img kdump.svg

# install, uninstall, install-dracut-alias, install-kernel-hooks and deb: mk/packaging.mk.
# lint, lint-shell, lint-swift and format: mk/lint.mk.

clean:
	rm -rf .build .build-*

# Each area keeps its own targets in a fragment: fuzzing, documentation, packaging, lint.
include $(wildcard mk/*.mk)
