#!/bin/bash
# A home network in three network namespaces, for the reachability tests (docs/hosting.md):
#   lan (the host node, 192.168.77.2) — router (nftables masquerade, optionally miniupnpd with
#   UPnP and/or NAT-PMP on its LAN side) — wan (a joining node on the "internet" side).
# Nothing is connected to the machine's own interfaces: traffic stays in these namespaces.
#
#   netlab.sh up ID WAN_KIND ROUTER_KIND DIR   WAN_KIND: public | cgnat | private
#                                             ROUTER_KIND: upnp+natpmp | natpmp | upnp | upnp-open |
#                                                          none | refuse
#   netlab.sh avahi ID DIR                    a private D-Bus and avahi-daemon in the lan namespace
#                                             (clients: DBUS_SYSTEM_BUS_ADDRESS=unix:path=DIR/bus)
#   netlab.sh down ID DIR
# Namespaces: ls-lan-ID, ls-rtr-ID, ls-wan-ID. DIR holds miniupnpd's config, pid and log.
# The "public" WAN address (198.20.0.1) is outside every range routers treat as private or
# reserved (miniupnpd refuses to map on those, as a real router behind another NAT would);
# the namespaces have no route anywhere else, so no packet can reach the real address.
set -euo pipefail
cmd=$1 id=$2
lan=ls-lan-$id rtr=ls-rtr-$id wan=ls-wan-$id

down() {
  local dir=$1
  for pidfile in "$dir/miniupnpd.pid" "$dir/avahi.pid" "$dir/dbus.pid"; do
    if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; fi
  done
  for ns in $lan $rtr $wan; do ip netns del "$ns" 2>/dev/null || true; done
}

if [ "$cmd" = down ]; then down "$3"; exit 0; fi

if [ "$cmd" = avahi ]; then
  dir=$3
  mkdir -p "$dir"
  cat >"$dir/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$dir/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
CONF
  cat >"$dir/avahi.conf" <<CONF
[server]
use-ipv4=yes
use-ipv6=no
allow-interfaces=lan0
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
CONF
  rm -f "$dir/bus"
  ip netns exec $lan dbus-daemon --config-file="$dir/bus.conf" --nofork --nopidfile >"$dir/dbus.log" 2>&1 &
  echo $! >"$dir/dbus.pid"
  for _ in $(seq 1 50); do [ -S "$dir/bus" ] && break; sleep 0.1; done
  [ -S "$dir/bus" ] || { cat "$dir/dbus.log" >&2; echo "netlab: dbus-daemon did not start" >&2; exit 1; }
  # avahi-daemon keeps its pid file in /run/avahi-daemon: a tmpfs of its own, in the mount
  # namespace `ip netns exec` makes, so that it never meets the machine's.
  ip netns exec $lan sh -c "mount -t tmpfs tmpfs /run && mkdir -p /run/avahi-daemon && \
    DBUS_SYSTEM_BUS_ADDRESS=unix:path=$dir/bus exec avahi-daemon -f $dir/avahi.conf --no-drop-root --no-chroot --no-rlimits" \
    >"$dir/avahi.log" 2>&1 &
  echo $! >"$dir/avahi.pid"
  for _ in $(seq 1 50); do grep -q "Server startup complete" "$dir/avahi.log" && break; sleep 0.1; done
  grep -q "Server startup complete" "$dir/avahi.log" || { cat "$dir/avahi.log" >&2; echo "netlab: avahi-daemon did not start" >&2; exit 1; }
  echo "unix:path=$dir/bus"
  exit 0
fi

wan_kind=$3 router_kind=$4 dir=$5
mkdir -p "$dir"
case $wan_kind in
  public)  rtr_wan=198.20.0.1  wan_node=198.20.0.2  ;;
  cgnat)   rtr_wan=100.64.7.1  wan_node=100.64.7.2  ;;
  private) rtr_wan=10.99.0.1   wan_node=10.99.0.2   ;;
  *) echo "netlab: unknown WAN kind $wan_kind" >&2; exit 2 ;;
esac
down "$dir"
for ns in $lan $rtr $wan; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n $lan link add lan0 type veth peer name lan0 netns $rtr
ip -n $wan link add wan0 type veth peer name wan0 netns $rtr
ip -n $lan addr add 192.168.77.2/24 dev lan0
ip -n $lan link set lan0 up
ip -n $lan route add default via 192.168.77.1
ip -n $rtr addr add 192.168.77.1/24 dev lan0
ip -n $rtr addr add $rtr_wan/24 dev wan0
ip -n $rtr link set lan0 up
ip -n $rtr link set wan0 up
ip -n $wan addr add $wan_node/24 dev wan0
ip -n $wan link set wan0 up
ip netns exec $rtr sysctl -qw net.ipv4.ip_forward=1
# The router: forward LAN → WAN, answer WAN → LAN only for what miniupnpd opened (its chains).
ip netns exec $rtr nft -f - <<NFT
table inet filter {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "lan0" oifname "wan0" accept
    jump miniupnpd
  }
  chain miniupnpd { }
  chain prerouting {
    type nat hook prerouting priority -100; policy accept;
    jump prerouting_miniupnpd
  }
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    jump postrouting_miniupnpd
    oifname "wan0" masquerade
  }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
}
NFT
upnp=no natpmp=no secure=yes rules="allow 1024-65535 192.168.77.0/24 1024-65535"
case $router_kind in
  upnp+natpmp) upnp=yes natpmp=yes ;;
  natpmp) natpmp=yes ;;
  upnp) upnp=yes ;;
  upnp-open) upnp=yes secure=no ;;  # any LAN device may map ports for another (to test "taken")
  # A router that refuses UPnP mappings. (Not NAT-PMP too: miniupnpd answers a refused NAT-PMP
  # request by trying every other port, a minute of a busy CPU.)
  refuse) upnp=yes rules="deny 0-65535 0.0.0.0/0 0-65535" ;;
  none) echo "$lan $rtr $wan $rtr_wan $wan_node"; exit 0 ;;
  *) echo "netlab: unknown router kind $router_kind" >&2; exit 2 ;;
esac
cat > "$dir/miniupnpd.conf" <<CONF
ext_ifname=wan0
listening_ip=lan0
port=5000
enable_upnp=$upnp
enable_natpmp=$natpmp
secure_mode=$secure
system_uptime=no
friendly_name=lockstep test router
uuid=3a1c5f2e-7d40-4b8e-9a51-0c2d6e8f9b10
clean_ruleset_interval=2
$rules
CONF
ip netns exec $rtr /usr/sbin/miniupnpd -f "$dir/miniupnpd.conf" -d -P "$dir/miniupnpd.pid" >"$dir/miniupnpd.log" 2>&1 &
for _ in $(seq 1 50); do [ -s "$dir/miniupnpd.pid" ] && break; sleep 0.1; done
[ -s "$dir/miniupnpd.pid" ] || { cat "$dir/miniupnpd.log" >&2; echo "netlab: miniupnpd did not start" >&2; exit 1; }
echo "$lan $rtr $wan $rtr_wan $wan_node"
