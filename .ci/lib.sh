# Helpers shared by the scripts that start throwaway servers for the tests; sourced, not run.

# Installs the Debian packages given when their command is missing: a fresh machine has neither server.
apt_install() {
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } >&2
}

# Prints a port on 127.0.0.1 that nothing answers on, trying at most 50; fails if it finds none.
free_port() {
  local candidate
  for _ in $(seq 1 50); do
    candidate=$(( 20000 + RANDOM % 30000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then echo "$candidate"; return 0; fi
  done
  echo "no free port found" >&2
  return 1
}
