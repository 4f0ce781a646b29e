# fvd on a shared workstation, the GNU and systemd way:
#   make                       build as yourself (release binaries, man pages)
#   sudo make install          copy everything under $(DESTDIR)$(PREFIX), nothing else
#   sudo make enable           the system actions: user and group fvd, /etc/default/fvd,
#                              daemon-reload, fvd.socket enabled and started
#   sudo usermod -aG fvd USER  for each user who may use it
#   sudo make disable          stop and disable the units
#   sudo make uninstall        remove what install copied, and say what is left
# systemd finds units, sysusers.d and tmpfiles.d files under /usr/lib and /usr/local/lib; with
# another PREFIX, `make enable` links the units from where they are.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/fvd
DOCDIR ?= $(PREFIX)/share/doc/fvd
MANDIR ?= $(PREFIX)/share/man/man1
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
# The service's options live in the administrator's /etc/default/fvd; the shipped example is
# copied there by `make enable` only when there is none.
CONFIG ?= /etc/default/fvd
SOCKET_LINK = /etc/systemd/system/sockets.target.wants/fvd.socket

.PHONY: all build man install uninstall enable disable test check-units

all: build

build:
	swift build -c release
	scripts/generate-man.sh

man:
	scripts/generate-man.sh

# Install only copies what `make` (or scripts/setup.sh) built as the user. Each file is written
# beside its target and renamed over it: a running fvd, or one starting, never sees a
# half-written file, and nothing temporary is left in the source tree.
install:
	@test -x .build/release/fvd -a -x .build/release/fvctl || { echo "not built: run make (or scripts/setup.sh) as yourself first"; exit 1; }
	@test -f weights/vgg16.fvw || { echo "weights/vgg16.fvw missing: run scripts/setup.sh first"; exit 1; }
	$(call install_file,0755,.build/release/fvd,$(DESTDIR)$(BINDIR)/fvd)
	$(call install_file,0755,.build/release/fvctl,$(DESTDIR)$(BINDIR)/fvctl)
	$(call install_file,0644,weights/vgg16.fvw,$(DESTDIR)$(DATADIR)/vgg16.fvw)
	$(call install_file,0644,systemd/fvd.default,$(DESTDIR)$(DATADIR)/fvd.default)
	$(call install_file,0644,docs/PROTOCOL.md,$(DESTDIR)$(DOCDIR)/PROTOCOL.md)
	$(call install_file,0644,README.md,$(DESTDIR)$(DOCDIR)/README.md)
	$(call install_file,0644,weights/README.md,$(DESTDIR)$(DOCDIR)/WEIGHTS.md)
	$(call install_file,0644,systemd/fvd.sysusers,$(DESTDIR)$(SYSUSERSDIR)/fvd.conf)
	@# The units name the binary, weights and docs under the prefix they were installed with.
	$(call install_unit,fvd.socket)
	$(call install_unit,fvd.service)
	@if [ -f .build/man/fvctl.1 ]; then \
	  $(call install_file,0644,.build/man/fvctl.1,$(DESTDIR)$(MANDIR)/fvctl.1) && $(call install_file,0644,.build/man/fvd.1,$(DESTDIR)$(MANDIR)/fvd.1); \
	else echo "no man pages to install: run make (as yourself) first"; fi
	@# Shell completions (layer names, presets, PNG files).
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	.build/release/fvctl --generate-completion-script bash > $(DESTDIR)$(BASHCOMPDIR)/fvctl
	.build/release/fvctl --generate-completion-script zsh > $(DESTDIR)$(ZSHCOMPDIR)/_fvctl
	@echo "installed under $(DESTDIR)$(PREFIX); next, as root: make enable PREFIX=$(PREFIX)"

# $(call install_file,MODE,SOURCE,TARGET): copy beside TARGET, then rename over it.
install_file = install -D -m $(1) $(2) $(dir $(3)).$(notdir $(3)).new && mv -f $(dir $(3)).$(notdir $(3)).new $(3)
# $(call install_unit,NAME): the unit with /usr/local replaced by PREFIX, written beside its
# target and renamed over it.
install_unit = install -d $(DESTDIR)$(UNITDIR) && sed 's|/usr/local|$(PREFIX)|g' systemd/$(1) > $(DESTDIR)$(UNITDIR)/.$(1).new \
	&& chmod 0644 $(DESTDIR)$(UNITDIR)/.$(1).new && mv -f $(DESTDIR)$(UNITDIR)/.$(1).new $(DESTDIR)$(UNITDIR)/$(1)

# The system actions, apart from install so that packagers (DESTDIR) never run them.
enable:
	@test -f $(UNITDIR)/fvd.service || { echo "fvd is not installed under $(PREFIX): run make install PREFIX=$(PREFIX) first"; exit 1; }
	systemd-sysusers $(SYSUSERSDIR)/fvd.conf
	@if [ -e $(CONFIG) ]; then echo "keeping $(CONFIG)"; else install -D -m 0644 $(DATADIR)/fvd.default $(CONFIG) && echo "wrote $(CONFIG)"; fi
	@case "$(PREFIX)" in /usr|/usr/local) ;; *) systemctl link $(UNITDIR)/fvd.service $(UNITDIR)/fvd.socket ;; esac
	systemctl daemon-reload
	systemctl enable --now fvd.socket
	@echo "fvd.socket is listening on /run/fvd/fvd.sock; add users with: usermod -aG fvd USER (they log in again)"
	@echo "check it: fvctl status (as a member); the log: journalctl -u fvd"

disable:
	-systemctl disable --now fvd.socket fvd.service
	@echo "fvd.socket and fvd.service are stopped and disabled"

uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -e $(SOCKET_LINK) -o -L $(SOCKET_LINK) ]; then \
	  echo "fvd.socket is still enabled: run make disable first, or its link would be left dangling"; exit 1; fi
	rm -f $(DESTDIR)$(BINDIR)/fvd $(DESTDIR)$(BINDIR)/fvctl
	rm -f $(DESTDIR)$(UNITDIR)/fvd.socket $(DESTDIR)$(UNITDIR)/fvd.service $(DESTDIR)$(SYSUSERSDIR)/fvd.conf
	rm -f $(DESTDIR)$(MANDIR)/fvctl.1 $(DESTDIR)$(MANDIR)/fvd.1
	rm -f $(DESTDIR)$(BASHCOMPDIR)/fvctl $(DESTDIR)$(ZSHCOMPDIR)/_fvctl
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
	@if [ -z "$(DESTDIR)" ]; then \
	  echo "left in place, yours to remove:"; \
	  getent passwd fvd >/dev/null && echo "  the user and group fvd (userdel fvd; groupdel fvd)"; \
	  [ -d /var/cache/fvd ] && echo "  the result cache /var/cache/fvd (rm -r /var/cache/fvd)"; \
	  [ -e $(CONFIG) ] && echo "  the service's options $(CONFIG)"; \
	  true; \
	fi

test:
	scripts/setup.sh && swift test

check-units:
	scripts/check-units.sh
