# Installs fvd system-wide: binaries, weights, systemd units, the fvd group.
#   sudo make install            then: sudo systemctl enable --now fvd.socket
#   sudo usermod -aG fvd USER    for each user who may use it
PREFIX ?= /usr/local
DESTDIR ?=
# systemd reads units from /usr/lib/systemd/system and /usr/local/lib/systemd/system alike.
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
DOCDIR ?= $(PREFIX)/share/doc/fvd

.PHONY: build install uninstall test check-units

build:
	swift build -c release

# Install only copies what `make` (or scripts/setup.sh) built as the user, and replaces each
# file by rename: a running fvd, or one starting, never sees a half-written file.
install:
	test -x .build/release/fvd -a -x .build/release/fvctl || { echo "not built: run make (or scripts/setup.sh) as yourself first"; exit 1; }
	test -f weights/vgg16.fvw || { echo "weights/vgg16.fvw missing: run scripts/setup.sh first"; exit 1; }
	$(call atomic_install,0755,.build/release/fvd,$(DESTDIR)$(PREFIX)/bin/fvd)
	$(call atomic_install,0755,.build/release/fvctl,$(DESTDIR)$(PREFIX)/bin/fvctl)
	$(call atomic_install,0644,weights/vgg16.fvw,$(DESTDIR)$(PREFIX)/share/fvd/vgg16.fvw)
	install -D -m 0644 docs/PROTOCOL.md $(DESTDIR)$(DOCDIR)/PROTOCOL.md
	install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -D -m 0644 weights/README.md $(DESTDIR)$(DOCDIR)/WEIGHTS.md
	# The units name the binary and the documentation under the prefix they were installed with.
	sed 's|/usr/local|$(PREFIX)|g' systemd/fvd.socket > fvd.socket.tmp
	install -D -m 0644 fvd.socket.tmp $(DESTDIR)$(UNITDIR)/fvd.socket
	sed 's|/usr/local|$(PREFIX)|g' systemd/fvd.service > fvd.service.tmp
	install -D -m 0644 fvd.service.tmp $(DESTDIR)$(UNITDIR)/fvd.service
	rm -f fvd.service.tmp fvd.socket.tmp
	install -D -m 0644 systemd/fvd.sysusers $(DESTDIR)$(SYSUSERSDIR)/fvd.conf
	# The service's options: installed once, never over an administrator's edits.
	test -e $(DESTDIR)/etc/default/fvd || install -D -m 0644 systemd/fvd.default $(DESTDIR)/etc/default/fvd
	# Shell completions (layer names, presets, PNG files).
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	.build/release/fvctl --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/fvctl
	.build/release/fvctl --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_fvctl
	if [ -z "$(DESTDIR)" ]; then \
	  systemd-sysusers $(SYSUSERSDIR)/fvd.conf 2>/dev/null || getent group fvd >/dev/null || groupadd --system fvd; \
	  systemctl daemon-reload 2>/dev/null || true; \
	fi

# $(call atomic_install,MODE,SOURCE,TARGET): copy beside TARGET, then rename over it.
atomic_install = install -D -m $(1) $(2) $(dir $(3)).$(notdir $(3)).new && mv -f $(dir $(3)).$(notdir $(3)).new $(3)

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/fvd $(DESTDIR)$(PREFIX)/bin/fvctl $(DESTDIR)$(UNITDIR)/fvd.socket $(DESTDIR)$(UNITDIR)/fvd.service
	rm -f $(DESTDIR)$(SYSUSERSDIR)/fvd.conf
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/fvctl $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_fvctl
	# /etc/default/fvd is the administrator's: removed only if it is still the shipped one.
	cmp -s systemd/fvd.default $(DESTDIR)/etc/default/fvd && rm -f $(DESTDIR)/etc/default/fvd || true
	rm -rf $(DESTDIR)$(PREFIX)/share/fvd $(DESTDIR)$(DOCDIR)

test:
	scripts/setup.sh && swift test

check-units:
	scripts/check-units.sh
