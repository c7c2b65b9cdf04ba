# Installation, the dracut alias, the kernel hooks and the Debian package.
#
# The layout: the kindling binary lives with its data in LIBDIR/kindling (the shim's files,
# modules.d) and its own programs (kindling-dmload, which kdumpbase puts in an LVM target's
# image), and BINDIR/kindling is a relative symbolic link to it. The binary finds its data
# beside its real path, so any BINDIR/LIBDIR pair works, a DESTDIR tree is usable where it lies,
# and nothing is compiled in.
PKGLIBDIR = $(LIBDIR)/kindling
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
KERNEL_INSTALL_DIR ?= $(PREFIX)/lib/kernel/install.d
# dracut's own directory, where scripts written for dracut look for dracut-functions.sh (not under
# PREFIX: mkdumprd looks in /usr/lib/dracut whatever the prefix).
DRACUT_BASEDIR ?= /usr/lib/dracut
DRACUT_MODULES_DIR ?= $(DRACUT_BASEDIR)/modules.d
RELEASE_DIR = .build/release
# Written by other areas; installed when present (the sources' directories may be overridden).
MANSRC ?= Documentation/man
COMPLETIONSRC ?= completion
MAN_PAGES = kindling.8 kindling.conf.5 kindling.modules.7 kindling-lsinitrd.1
COMPLETIONS = kindling kindling-lsinitrd
ALIAS_CONF = $(SYSCONFDIR)/dracut.conf.d/10-kindling-dracut-alias.conf
HOOKS = $(SYSCONFDIR)/kernel/postinst.d/kindling $(SYSCONFDIR)/kernel/postrm.d/kindling \
	$(KERNEL_INSTALL_DIR)/50-kindling.install

.PHONY: install-dracut-alias install-kernel-hooks deb

install: release
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PKGLIBDIR) $(DESTDIR)$(SYSCONFDIR)/dracut.conf.d
	install -s -m 0755 $(RELEASE_DIR)/kindling $(DESTDIR)$(PKGLIBDIR)/kindling
	install -s -m 0755 $(RELEASE_DIR)/kindling-dmload $(DESTDIR)$(PKGLIBDIR)/kindling-dmload
	install -s -m 0755 $(RELEASE_DIR)/kindling-lsinitrd $(DESTDIR)$(BINDIR)/kindling-lsinitrd
	ln -sfr $(DESTDIR)$(PKGLIBDIR)/kindling $(DESTDIR)$(BINDIR)/kindling
	install -m 0644 shim/*.bash shim/dracut-functions.sh $(DESTDIR)$(PKGLIBDIR)/
	rm -rf $(DESTDIR)$(PKGLIBDIR)/modules.d
	cp -R --no-preserve=ownership modules.d $(DESTDIR)$(PKGLIBDIR)/
	for page in $(wildcard $(addprefix $(MANSRC)/,$(MAN_PAGES))); do \
		install -D -m 0644 "$$page" "$(DESTDIR)$(MANDIR)/man$${page##*.}/$${page##*/}" || exit 1; \
	done
	for file in $(wildcard $(addprefix $(COMPLETIONSRC)/,$(COMPLETIONS))); do \
		install -D -m 0644 "$$file" "$(DESTDIR)$(COMPLETIONDIR)/$${file##*/}" || exit 1; \
	done

# `dracut` and `lsinitrd` run Kindling, which then prefers dracut's stock modules to its own.
# Scripts that source dracut's helper file (mkdumprd, kdumpctl) get Kindling's: DRACUT_FUNCTIONS
# becomes a relative link to PKGLIBDIR/dracut-functions.sh, unless a file is there already (dracut's,
# which is never replaced) or it is a link to Kindling's already.
DRACUT_FUNCTIONS = $(DRACUT_BASEDIR)/dracut-functions.sh
# Status 0 when $link, the DESTDIR path of DRACUT_FUNCTIONS, is a link to Kindling's (dangling or not).
is_kindling_dracut_functions = [ -L "$$link" ] && \
	[ "$$(readlink -m "$$link")" = "$$(readlink -m $(DESTDIR)$(PKGLIBDIR)/dracut-functions.sh)" ]
install-dracut-alias: install
	ln -sf kindling $(DESTDIR)$(BINDIR)/dracut
	ln -sf kindling-lsinitrd $(DESTDIR)$(BINDIR)/lsinitrd
	sed 's|@DRACUT_MODULES_DIR@|$(DRACUT_MODULES_DIR)|' packaging/dracut-alias.conf >$(DESTDIR)$(ALIAS_CONF)
	chmod 0644 $(DESTDIR)$(ALIAS_CONF)
	link=$(DESTDIR)$(DRACUT_FUNCTIONS); \
	if [ -e "$$link" ] || [ -L "$$link" ]; then \
		$(is_kindling_dracut_functions) || echo "install-dracut-alias: $(DRACUT_FUNCTIONS) is not Kindling's: left as it is"; \
	else \
		install -d $(DESTDIR)$(DRACUT_BASEDIR) && ln -sr $(DESTDIR)$(PKGLIBDIR)/dracut-functions.sh "$$link"; \
	fi

# Debian's /etc/kernel hooks and the kernel-install plugin (the Debian package ships them).
# kernel-install reads only /usr/lib/kernel/install.d and /etc/kernel/install.d: with the default
# PREFIX, set KERNEL_INSTALL_DIR=/etc/kernel/install.d.
install-kernel-hooks:
	install -D -m 0755 packaging/kernel/postinst.d/kindling $(DESTDIR)$(SYSCONFDIR)/kernel/postinst.d/kindling
	install -D -m 0755 packaging/kernel/postrm.d/kindling $(DESTDIR)$(SYSCONFDIR)/kernel/postrm.d/kindling
	install -D -m 0755 packaging/kernel/install.d/50-kindling.install $(DESTDIR)$(KERNEL_INSTALL_DIR)/50-kindling.install

# Removes everything the install targets put in place; alias links only while they are Kindling's.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/kindling $(DESTDIR)$(BINDIR)/kindling-lsinitrd
	for alias in dracut:kindling lsinitrd:kindling-lsinitrd; do \
		link=$(DESTDIR)$(BINDIR)/$${alias%%:*}; \
		if [ "$$(readlink "$$link")" = "$${alias#*:}" ]; then rm -f "$$link"; fi; \
	done
	link=$(DESTDIR)$(DRACUT_FUNCTIONS); \
	if $(is_kindling_dracut_functions); then rm -f "$$link"; rmdir $(DESTDIR)$(DRACUT_BASEDIR) 2>/dev/null || true; fi
	rm -rf $(DESTDIR)$(PKGLIBDIR)
	rm -f $(DESTDIR)$(ALIAS_CONF) $(addprefix $(DESTDIR),$(HOOKS))
	for page in $(MAN_PAGES); do rm -f "$(DESTDIR)$(MANDIR)/man$${page##*.}/$$page"; done
	rm -f $(addprefix $(DESTDIR)$(COMPLETIONDIR)/,$(COMPLETIONS))
	rmdir $(DESTDIR)$(SYSCONFDIR)/dracut.conf.d 2>/dev/null || true

# A Debian package of the /usr install and the kernel hooks. The version is the one
# `kindling --version` prints; the library dependencies are what dpkg-shlibdeps finds.
DEBDIR = .build/deb
DEB_ARCH = $(shell dpkg --print-architecture)
deb: release
	rm -rf $(DEBDIR)/root $(DEBDIR)/shlibs
	$(MAKE) --no-print-directory install install-kernel-hooks DESTDIR=$(CURDIR)/$(DEBDIR)/root \
		PREFIX=/usr BINDIR=/usr/bin LIBDIR=/usr/lib MANDIR=/usr/share/man SYSCONFDIR=/etc
	set -e; root=$(DEBDIR)/root; \
	version=$$($(RELEASE_DIR)/kindling --version | awk '{ print $$2 }'); \
	mkdir -p $(DEBDIR)/shlibs/debian "$$root/DEBIAN"; \
	printf 'Source: kindling\n\nPackage: kindling\nArchitecture: any\n' >$(DEBDIR)/shlibs/debian/control; \
	shlibs=$$(cd $(DEBDIR)/shlibs && dpkg-shlibdeps -O -e $(CURDIR)/$$root/usr/lib/kindling/kindling \
		-e $(CURDIR)/$$root/usr/lib/kindling/kindling-dmload \
		-e $(CURDIR)/$$root/usr/bin/kindling-lsinitrd | sed -n 's/^shlibs:Depends=//p'); \
	size=$$(du -sk --exclude=DEBIAN "$$root" | cut -f1); \
	sed -e "s|@VERSION@|$$version|" -e "s|@ARCH@|$(DEB_ARCH)|" -e "s|@INSTALLED_SIZE@|$$size|" \
		-e "s|@SHLIBS@|$$shlibs|" packaging/debian/control.in >"$$root/DEBIAN/control"; \
	(cd "$$root" && find etc -type f -printf '/%p\n' | sort) >"$$root/DEBIAN/conffiles"; \
	(cd "$$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) \
		>"$$root/DEBIAN/md5sums"; \
	dpkg-deb --root-owner-group -Zxz --build "$$root" "$(DEBDIR)/kindling_$${version}_$(DEB_ARCH).deb"
