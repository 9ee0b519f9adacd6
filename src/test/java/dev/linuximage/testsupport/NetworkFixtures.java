package dev.linuximage.testsupport;

import java.nio.file.Path;

/**
 * Guests whose network is laid out the way each distribution's installer leaves it on a KVM build VM (virtio NIC
 * {@code enp1s0}, MAC {@code 52:54:00:6b:3c:58}), on top of the {@link GuestFixtures} bases. File contents follow
 * what the installers write: subiquity's netplan and cloud-init files (Ubuntu 22.04), anaconda's NetworkManager
 * keyfile (RHEL 9) and ifcfg (RHEL 8), YaST's wicked ifcfg (SLES 15), Arch's networkd example.
 */
public final class NetworkFixtures {
    public static final String MAC = "52:54:00:6b:3c:58";

    private NetworkFixtures() {}

    static GuestTree enable(GuestTree t, String unitName, String exec, String install, String... wants) {
        t.file("/usr/lib/systemd/system/" + unitName, GuestFixtures.unit(unitName, exec, install));
        for (String w : wants) {
            t.link("/etc/systemd/system/" + w + "/" + unitName, "/usr/lib/systemd/system/" + unitName);
        }
        return t;
    }

    /**
     * Ubuntu 22.04 server installed by subiquity: netplan (networkd renderer) with the installer's
     * {@code 00-installer-config.yaml}, cloud-init with {@code 99-installer.cfg} (datasource None, the installer's
     * user data) and {@code subiquity-disable-cloudinit-networking.cfg}.
     */
    public static GuestTree ubuntu2204(Path root) {
        GuestTree t = GuestFixtures.debian(root);
        t.file("/usr/lib/os-release", """
                PRETTY_NAME="Ubuntu 22.04.4 LTS"
                NAME="Ubuntu"
                VERSION_ID="22.04"
                VERSION="22.04.4 LTS (Jammy Jellyfish)"
                ID=ubuntu
                ID_LIKE=debian
                """);
        // Ubuntu has no ifupdown: netplan generates networkd configuration at boot
        t.file(
                "/etc/network/interfaces",
                "# ifupdown has been replaced by netplan(5) on this system.  See\n"
                        + "# /etc/netplan for current configuration.\n");
        t.file("/usr/sbin/netplan", "#!/usr/bin/python3\n", "rwxr-xr-x");
        t.file("/usr/lib/netplan/generate", "elf", "rwxr-xr-x");
        enable(
                t,
                "systemd-networkd.service",
                "/lib/systemd/systemd-networkd",
                "WantedBy=multi-user.target\nAlso=systemd-networkd.socket",
                "multi-user.target.wants");
        t.file("/usr/lib/systemd/systemd-networkd", "elf", "rwxr-xr-x");
        t.file("/etc/netplan/00-installer-config.yaml", """
                # This is the network config written by 'subiquity'
                network:
                  ethernets:
                    enp1s0:
                      dhcp4: true
                  version: 2
                """, "rw-------");
        t.file("/etc/cloud/cloud.cfg.d/99-installer.cfg", """
                datasource:
                  None:
                    metadata:
                      instance-id: 5b0c7f3e-8c5a-4d7e-9d3b-6f1e2a9c4b11
                    userdata_raw: "#cloud-config\\nlocale: en_US.UTF-8\\npreserve_hostname: true\\nusers:\\n- name: builder\\n  passwd: $6$rounds=4096$abcdefgh$XYZ\\n  shell: /bin/bash\\n"
                datasource_list:
                - None
                """, "rw-------");
        t.file("/etc/cloud/cloud.cfg.d/subiquity-disable-cloudinit-networking.cfg", "network: {config: disabled}\n");
        t.file("/etc/cloud/ds-identify.cfg", "policy: enabled\n");
        return t;
    }

    /**
     * A cloud-init-rendered netplan file as Ubuntu cloud images and 24.04 installs carry it: the NIC matched by the
     * build VM's MAC and renamed with {@code set-name}.
     */
    public static final String CLOUD_INIT_NETPLAN = """
            # This file is generated from information provided by the datasource.  Changes
            # to it will not persist across an instance reboot.  To disable cloud-init's
            # network configuration capabilities, write a file
            # /etc/cloud/cloud.cfg.d/99-disable-network-config.cfg with the following:
            # network: {config: disabled}
            network:
                ethernets:
                    enp1s0:
                        dhcp4: true
                        match:
                            macaddress: 52:54:00:6b:3c:58
                        set-name: enp1s0
                version: 2
            """;

    /** RHEL 9 as anaconda leaves it: a NetworkManager keyfile bound to enp1s0. */
    public static GuestTree rhel9(Path root) {
        GuestTree t = GuestFixtures.rhel9(root);
        enable(
                t,
                "NetworkManager.service",
                "/usr/sbin/NetworkManager --no-daemon",
                "WantedBy=multi-user.target",
                "multi-user.target.wants");
        t.file("/usr/sbin/NetworkManager", "elf", "rwxr-xr-x");
        t.file(
                "/etc/NetworkManager/NetworkManager.conf",
                "# Configuration file for NetworkManager.\n[main]\n" + "#plugins=keyfile,ifcfg-rh\n\n[logging]\n");
        t.file("/etc/NetworkManager/system-connections/enp1s0.nmconnection", """
                [connection]
                id=enp1s0
                uuid=0b9d3d5f-6c25-3e8a-a6d2-5bf1a3c8e6a1
                type=ethernet
                autoconnect-priority=-999
                interface-name=enp1s0
                timestamp=1730000000

                [ethernet]
                mac-address=52:54:00:6B:3C:58

                [ipv4]
                method=auto

                [ipv6]
                addr-gen-mode=eui64
                method=auto

                [proxy]
                """, "rw-------");
        t.file(
                "/var/lib/NetworkManager/internal-0b9d3d5f-6c25-3e8a-a6d2-5bf1a3c8e6a1-enp1s0.lease",
                "# This is private data. Do not parse.\nADDRESS=192.168.122.61\n");
        return t;
    }

    /** RHEL 8 as anaconda leaves it: an ifcfg-rh profile with DEVICE and HWADDR (NetworkManager reads it). */
    public static GuestTree rhel8(Path root) {
        GuestTree t = GuestFixtures.rhel8(root);
        t.file("/etc/sysconfig/network-scripts/ifcfg-enp1s0", """
                TYPE=Ethernet
                PROXY_METHOD=none
                BROWSER_ONLY=no
                BOOTPROTO=dhcp
                DEFROUTE=yes
                IPV4_FAILURE_FATAL=no
                IPV6INIT=yes
                IPV6_AUTOCONF=yes
                IPV6_DEFROUTE=yes
                IPV6_FAILURE_FATAL=no
                NAME=enp1s0
                UUID=7c1e4c0e-2f4b-4a31-9a57-3c4f0d5e6a7b
                DEVICE=enp1s0
                ONBOOT=yes
                HWADDR=52:54:00:6B:3C:58
                """);
        t.file(
                "/etc/sysconfig/network-scripts/ifcfg-lo",
                "DEVICE=lo\nIPADDR=127.0.0.1\nNETMASK=255.0.0.0\n" + "ONBOOT=yes\nNAME=loopback\n");
        return t;
    }

    /**
     * SLES 15 SP5 as YaST leaves it: wicked (enabled, aliased as network.service), {@code ifcfg-eth0} with DHCP,
     * and its leases under /var/lib/wicked. wicked has its own DHCP supplicant (no dhclient).
     */
    public static GuestTree sles15(Path root, String nic) {
        GuestTree t = GuestFixtures.rhel9(root);
        t.file(
                "/etc/os-release",
                "NAME=\"SLES\"\nVERSION=\"15-SP5\"\nVERSION_ID=\"15.5\"\n"
                        + "PRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP5\"\nID=\"sles\"\nID_LIKE=\"suse\"\n");
        enable(
                t,
                "wicked.service",
                "/usr/sbin/wicked --systemd ifup all",
                "WantedBy=multi-user.target\nAlias=network.service",
                "multi-user.target.wants");
        t.link("/etc/systemd/system/network.service", "/usr/lib/systemd/system/wicked.service");
        t.file("/usr/sbin/wicked", "elf", "rwxr-xr-x");
        t.file("/usr/libexec/wicked/bin/wickedd-dhcp4", "elf", "rwxr-xr-x");
        t.file("/etc/sysconfig/network/ifcfg-" + nic, """
                BOOTPROTO='dhcp'
                STARTMODE='auto'
                ZONE=''
                """);
        t.file(
                "/etc/sysconfig/network/ifcfg-lo",
                "IPADDR=127.0.0.1\nNETMASK=255.0.0.0\nNETWORK=127.0.0.0\n"
                        + "STARTMODE=nfsroot\nBOOTPROTO=static\nUSERCONTROL=no\nFIREWALL=no\n");
        t.file("/etc/sysconfig/network/ifroute-lo", "");
        t.file(
                "/var/lib/wicked/lease-" + nic + "-dhcp-ipv4.xml",
                "<lease>\n  <family>ipv4</family>\n  <type>dhcp</type>\n</lease>\n");
        t.file("/var/lib/wicked/duid.xml", "<duid>00:03:00:01:52:54:00:6b:3c:58</duid>\n");
        return t;
    }

    /** Arch Linux after the installation guide: systemd-networkd enabled, a wired profile matched by name. */
    public static GuestTree arch(Path root, String match) {
        GuestTree t = GuestFixtures.rhel9(root);
        t.file("/etc/os-release", "NAME=\"Arch Linux\"\nPRETTY_NAME=\"Arch Linux\"\nID=arch\nBUILD_ID=rolling\n");
        enable(
                t,
                "systemd-networkd.service",
                "/usr/lib/systemd/systemd-networkd",
                "WantedBy=multi-user.target\nAlso=systemd-networkd.socket",
                "multi-user.target.wants");
        t.file("/usr/lib/systemd/systemd-networkd", "elf", "rwxr-xr-x");
        t.file("/etc/systemd/network/20-wired.network", "[Match]\n" + match + "\n\n[Network]\nDHCP=yes\n");
        // shipped by systemd: container and virtual links only
        t.file(
                "/usr/lib/systemd/network/80-container-ve.network",
                "[Match]\nName=ve-*\nDriver=veth\n\n"
                        + "[Network]\nAddress=0.0.0.0/28\nLinkLocalAddressing=yes\nDHCPServer=yes\n");
        return t;
    }
}
