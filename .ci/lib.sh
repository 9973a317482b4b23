# Helpers shared by the scripts that start throwaway servers for the tests; sourced, not run.

# Installs the Debian packages given when their command is missing: a fresh machine has neither server.
apt_install() {
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } >&2
}

# Prints a port on 127.0.0.1 that nothing answers on, trying at most 50; fails if it finds none. It is drawn below the
# kernel's ephemeral range: a port in that range can be the local end of any client connection (the tests and the
# load test open thousands), and a server then fails to bind it although nothing answers there.
free_port() {
  local candidate low
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  [ "$low" -gt 11000 ] || low=32768
  for _ in $(seq 1 50); do
    candidate=$(( 10000 + RANDOM % (low - 10000) ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then echo "$candidate"; return 0; fi
  done
  echo "no free port found" >&2
  return 1
}
