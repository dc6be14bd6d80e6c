"""Issue 6, "Identities are keys", through real processes: the first password login of a device
registers its key; later logins sign the server's challenge and send no password, checked on the
wire (the client's TLS keys logged with SSLKEYLOGFILE, the session captured with tshark and
decrypted); devices are listed and revoked, and a revoked key logs in no more; a contact's device
keys are shown to contacts only; a contact request can be refused, and then reveals no presence;
the identity file is its owner's alone and never written through a link."""
import os
import select
import socket
import shutil
import signal
import stat
import subprocess
import time

from harness import Checks, Client, Server, finish, tmpdir

t = Checks("devices")
tmp = tmpdir()
clients = []
srv = Server(tmp)


def client(name, *args, env=None):
    c = Client(tmp, srv, *args, name=name, env=env)
    clients.append(c)
    return c


def frames(stream_hex_lines):
    """Splits a byte stream into (type, payload) frames."""
    data = bytes.fromhex("".join(stream_hex_lines))
    out, i = [], 0
    while i + 6 <= len(data):
        n = int.from_bytes(data[i:i + 4], "big")
        if n < 6:
            break
        out.append((int.from_bytes(data[i + 4:i + 6], "big"), data[i + 6:i + n]))
        i += n
    return out, data


try:
    # --- first use: the password registers this device's key ---
    a = client("a1")
    a.expect("welcome")
    a.send({"cmd": "register", "nick": "alice", "password": "alice-password"})
    li = a.expect("logged_in")
    t.check(li is not None and li["device_added"] is True, f"registering also registers the device key: {li}")
    a.send({"cmd": "devices"})
    d = a.expect("device")
    end = a.expect("end", about="DEVICES_GET")
    t.check(d and d["this"] and not d["revoked"] and len(d["fingerprint"]) == 39 and end["count"] == 1,
            f"/devices lists it, marked as this device: {d}")
    dev1 = d["key"]
    a.quit()

    # --- later: a signature, no password, checked on the wire ---
    if os.geteuid() == 0 and shutil.which("tshark"):
        keys, cap = os.path.join(tmp, "tls-keys"), os.path.join(tmp, "login.pcapng")
        # "Capturing on" on stderr, or a file with a header in it, is not proof that packets are
        # being taken (it once missed the whole login: types []); a UDP datagram to a port nobody
        # uses, seen in tshark's per-packet lines (-P -l), is. UDP makes no TCP stream, so the
        # login stays stream 0.
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.bind(("127.0.0.1", 0))
        pport = probe.getsockname()[1]
        tsh = subprocess.Popen(["tshark", "-i", "lo", "-f", f"tcp port {srv.tcp} or udp dst port {pport}", "-P", "-l",
                                "-w", cap], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        deadline, seen = time.time() + 30, False
        while time.time() < deadline and not seen:
            probe.sendto(b"probe", ("127.0.0.1", pport))
            ready, _, _ = select.select([tsh.stdout], [], [], 0.3)
            seen = bool(ready) and "UDP" in tsh.stdout.readline()
        probe.close()
        t.check(seen, "tshark takes packets before the login (a probe datagram was seen)")
        env = dict(os.environ, SSLKEYLOGFILE=keys, PARLEY_PASSWORD="alice-password")
        a = client("a1", "--nick", "alice", env=env)  # the password is there, and must stay unused
        li = a.expect("logged_in")
        a.send({"cmd": "say", "to": "#Lobby", "text": "signed in", "tag": 1})
        a.expect("sent")
        a.quit()
        time.sleep(1)
        tsh.send_signal(signal.SIGINT)
        tsh.wait(timeout=10)
        out = subprocess.run(["tshark", "-r", cap, "-o", f"tls.keylog_file:{keys}", "-q", "-z", "follow,tls,raw,0"],
                             capture_output=True, text=True).stdout
        # follow,raw prints the client's bytes indented by a tab, the server's flush left.
        lines = out.split("=" * 67)[1].splitlines() if "=" * 67 in out else []
        sent_hex = [x.strip() for x in lines if x.startswith("\t")]
        sent, raw = frames(sent_hex)
        types = [ft for ft, _ in sent]
        t.check(li is not None and 0x19 in types, f"the second login is LOGIN_KEY on the wire: types {[hex(x) for x in types]}")
        t.check(0x02 not in types and 0x03 not in types and b"alice-password" not in raw,
                "no REGISTER or LOGIN frame and no password bytes in what the client sent")
    else:
        t.check(False, "the wire check needs root and tshark (scripts/install-deps.sh installs it)")

    # --- a second device registers with the password; the first revokes it ---
    a2 = client("a2")
    a2.expect("welcome")
    a2.send({"cmd": "login", "nick": "alice", "password": "alice-password"})
    li = a2.expect("logged_in")
    t.check(li is not None and li["device_added"] is True, "a new device logs in with the password and is registered")
    a2.send({"cmd": "devices"})
    devs = [a2.expect("device") for _ in range(2)]
    t.check(all(devs) and sum(x["this"] for x in devs) == 1 and any(x["key"] == dev1 for x in devs),
            "now two devices are listed")
    dev2 = next(x for x in devs if x["this"])
    a2.quit()
    a = client("a1", "--nick", "alice")
    a.expect("logged_in")
    a.send({"cmd": "revoke", "fingerprint": dev2["fingerprint"][:9]})
    e = a.expect("local_error")
    t.check(e is not None and "/devices" in e["message"], f"a fingerprint is resolved against /devices: {e}")
    a.send({"cmd": "devices"})
    [a.expect("device") for _ in range(2)]
    a.expect("end", about="DEVICES_GET")
    a.send({"cmd": "revoke", "fingerprint": dev2["fingerprint"][:9]})
    t.check(a.expect("ok", about="DEVICE_REVOKE") is not None, "the first device revokes the second by its fingerprint")
    a.send({"cmd": "devices"})
    listed = [a.expect("device") for _ in range(2)]
    t.check(any(x and x["key"] == dev2["key"] and x["revoked"] for x in listed), "it is listed as revoked")
    a.quit()
    a2 = client("a2", "--nick", "alice")
    e = a2.expect("error")
    t.check(e is not None and e["code"] == 448, f"the revoked device's key login is refused: {e and e['code']}")
    a2.quit()
    a2 = client("a2", "--nick", "alice", env=dict(os.environ, PARLEY_PASSWORD="alice-password"))
    e = a2.expect("error")
    t.check(e is not None and e["code"] == 448 and a2.expect("logged_in", timeout=1) is None,
            "and so is its password login: the key stays revoked")
    a2.quit()
    n = client("n")
    n.expect("welcome")
    n.send({"cmd": "login", "nick": "alice"})
    e = n.expect("error")
    t.check(e is not None and e["code"] == 451 and "password" in e["message"],
            f"a new device without a password is told to use it once: {e and e.get('message', '')[:90]}")
    n.quit()

    # --- contacts: keys for contacts only; a refused request shows nothing ---
    a = client("a1", "--nick", "alice")
    a.expect("logged_in")
    c = client("c")
    c.login("carol", "carol-password")
    c.send({"cmd": "keys", "nick": "alice"})
    e = c.expect("error")
    t.check(e is not None and e["code"] == 406, "carol, not a contact, is not shown alice's keys (406)")
    c.send({"cmd": "add", "nick": "alice"})
    a.expect("contact_request", nick="carol", kind="incoming")
    a.send({"cmd": "accept", "nick": "carol"})
    c.expect("contact_added", nick="alice")
    c.send({"cmd": "keys", "nick": "alice"})
    ks = [c.expect("device") for _ in range(2)]
    end = c.expect("end", about="KEYS_GET")
    t.check(all(ks) and end and {k["key"] for k in ks} == {dev1, dev2["key"]},
            f"as a contact she sees alice's device keys with fingerprints: {[k and k['fingerprint'] for k in ks]}")

    d = client("d")
    d.login("dave", "dave-password")
    d.send({"cmd": "add", "nick": "alice"})
    t.check(d.expect("contact_request", nick="alice", kind="sent") is not None, "dave asks alice")
    a.expect("contact_request", nick="dave", kind="incoming")
    a.send({"cmd": "refuse", "nick": "dave"})
    t.check(a.expect("ok", about="CONTACT_ANSWER") is not None, "alice refuses")
    t.check(d.expect("contact_request", nick="alice", kind="refused") is not None, "dave is told")
    a.send({"cmd": "set_status", "presence": "away", "note": "not for dave"})
    t.check(c.expect("presence", nick="alice", presence="away") is not None, "alice's contact carol sees her go away")
    t.check(d.expect("presence", nick="alice", timeout=1.5) is None, "dave sees nothing of it")
    d.send({"cmd": "status", "nick": "alice"})
    e = d.expect("error")
    t.check(e is not None and e["code"] == 406, "nor can he ask for it (406)")
    d.send({"cmd": "whois", "nick": "alice"})
    p = d.expect("profile")
    t.check(p is not None and p["presence"] == "hidden" and p["note"] == "", f"nor read it in her profile: {p}")

    # --- the identity file ---
    mode = stat.S_IMODE(os.stat(os.path.join(tmp, "identity-a1")).st_mode)
    t.check(mode == 0o600, f"the identity file is its owner's alone: {oct(mode)}")
    victim = os.path.join(tmp, "victim")
    with open(victim, "w") as f:
        f.write("keep me\n")
    os.symlink(victim, os.path.join(tmp, "identity-lnk"))
    lk = client("lnk")
    e = lk.expect("local_error")
    t.check(e is not None and "link" in e["message"] and open(victim).read() == "keep me\n",
            f"an identity that is a link is refused, its target untouched: {e and e['message'][:100]}")
    lk.quit()
    loose = os.path.join(tmp, "identity-loose")
    shutil.copy(os.path.join(tmp, "identity-a1"), loose)
    os.chmod(loose, 0o644)
    lo = client("loose")
    e = lo.expect("local_error")
    t.check(e is not None and "chmod 600" in e["message"], f"one others can read is refused: {e and e['message'][:100]}")
    lo.quit()
finally:
    finish(t, srv, clients, tmp)
