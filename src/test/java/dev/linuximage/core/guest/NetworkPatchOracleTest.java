package dev.linuximage.core.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.compliance.Compliance;
import dev.linuximage.core.guestfs.Change;
import dev.linuximage.core.report.ComplianceReport;
import dev.linuximage.core.report.FindingStatus;
import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.GuestFixtures;
import dev.linuximage.testsupport.GuestTree;
import dev.linuximage.testsupport.NetworkFixtures;
import dev.linuximage.testsupport.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * net.ifnames=0 (CMDLINE-CONSOLE) and NOAGENT-DHCP on guests laid out as each distribution's installer leaves them.
 * The netplan results are checked by netplan itself ({@code netplan generate --root-dir}, package netplan.io).
 */
@Tag("oracle")
class NetworkPatchOracleTest {
    static final Instant NOW = Instant.EPOCH;
    static final PatchOptions CLOUD_INIT = PatchOptions.defaults();
    static final PatchOptions NO_AGENT = PatchOptions.defaults().withProvisioning(Provisioning.None);

    static ComplianceReport prepare(GuestTree t, PatchOptions o) throws Exception {
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            return Compliance.prepare(g, o, Compliance.Facts.none(), null, NOW).report();
        }
    }

    static ComplianceReport audit(GuestTree t, PatchOptions o) throws Exception {
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            return Compliance.audit(g, o, Compliance.Facts.none(), null, NOW);
        }
    }

    static List<Change> patchAgain(GuestTree t, PatchOptions o) throws Exception {
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            return GuestPatcher.patch(g, o, List.of(), null).changes().changes();
        }
    }

    static NetworkConfig network(GuestTree t) throws Exception {
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            return NetworkConfig.read(new GuestReader(g));
        }
    }

    /** What netplan's own generator makes of the tree: the networkd files it would hand systemd at boot. */
    static String netplanGenerate(GuestTree t) throws Exception {
        Tools.command("netplan", "generate", "--root-dir", t.root().toString())
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        Path dir = t.root().resolve("run/systemd/network");
        StringBuilder out = new StringBuilder();
        try (var s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                out.append("== ").append(p.getFileName()).append('\n').append(Files.readString(p));
            }
        }
        deleteTree(t.root().resolve("run"));
        return out.toString();
    }

    static void deleteTree(Path p) throws Exception {
        if (Files.exists(p)) {
            try (var s = Files.walk(p)) {
                for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(x);
                }
            }
        }
    }

    static String perms(GuestTree t, String path) throws Exception {
        return PosixFilePermissions.toString(
                Files.getPosixFilePermissions(t.root().resolve(path.substring(1))));
    }

    @Test
    void ubuntuSubiquityInstallIsReKeyedAndTheInstallerLeftoversGo(@TempDir Path dir) throws Exception {
        GuestTree t = NetworkFixtures.ubuntu2204(dir);
        assertThat(netplanGenerate(t)).contains("== 10-netplan-enp1s0.network\n[Match]\nName=enp1s0\n");
        ComplianceReport r = prepare(t, CLOUD_INIT);
        assertThat(t.read("/etc/netplan/00-installer-config.yaml")).isEqualTo("""
                # This is the network config written by 'subiquity'
                network:
                  ethernets:
                    eth0:
                      dhcp4: true
                  version: 2
                """);
        assertThat(perms(t, "/etc/netplan/00-installer-config.yaml")).isEqualTo("rw-------");
        String generated = netplanGenerate(t);
        assertThat(generated)
                .contains("== 10-netplan-eth0.network\n[Match]\nName=eth0\n")
                .contains("DHCP=ipv4")
                .doesNotContain("enp1s0");
        // subiquity's datasource None and its networking switch-off would win the cloud.cfg.d merge
        assertThat(t.exists("/etc/cloud/cloud.cfg.d/99-installer.cfg")).isFalse();
        assertThat(t.exists("/etc/cloud/cloud.cfg.d/subiquity-disable-cloudinit-networking.cfg"))
                .isFalse();
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            CloudConfig c = CloudConfig.read(new GuestReader(g));
            assertThat(CloudInitPatch.datasourceOk(c)).isTrue();
            assertThat(c.get("network")).isNull();
            assertThat(c.get("datasource", "None")).isNull();
        }
        assertThat(r.finding("CLOUDINIT-DATASOURCE").status()).isEqualTo(FindingStatus.Fixed);
        assertThat(r.finding("CLOUDINIT-DATASOURCE").repair())
                .contains("99-installer.cfg")
                .contains("subiquity-disable-cloudinit-networking.cfg");
        assertThat(r.finding("CMDLINE-CONSOLE").status()).isEqualTo(FindingStatus.Fixed);
        assertThat(r.finding("CMDLINE-CONSOLE").repair()).contains("/etc/netplan/00-installer-config.yaml");
        assertThat(patchAgain(t, CLOUD_INIT)).isEmpty();
    }

    @Test
    void installerLeftoversFailTheDatasourceCheckEvenWithTheAzureFilePresent(@TempDir Path dir) throws Exception {
        GuestTree t = NetworkFixtures.ubuntu2204(dir);
        t.file("/etc/cloud/cloud.cfg.d/91-azure_datasource.cfg", CloudInitPatch.DATASOURCE);
        ComplianceReport r = audit(t, CLOUD_INIT);
        assertThat(r.finding("CLOUDINIT-DATASOURCE").status()).isEqualTo(FindingStatus.Fail);
        assertThat(r.finding("CLOUDINIT-DATASOURCE").evidence())
                .anySatisfy(e -> assertThat(e.value())
                        .contains("datasource_list=[\"None\"]")
                        .contains("disabled"));
    }

    @Test
    void cloudInitNetplanMatchedByMacIsReKeyed(@TempDir Path dir) throws Exception {
        GuestTree t = NetworkFixtures.ubuntu2204(dir);
        Files.delete(t.root().resolve("etc/netplan/00-installer-config.yaml"));
        t.file("/etc/netplan/50-cloud-init.yaml", NetworkFixtures.CLOUD_INIT_NETPLAN, "rw-------");
        prepare(t, CLOUD_INIT);
        assertThat(t.read("/etc/netplan/50-cloud-init.yaml")).isEqualTo("""
                # This file is generated from information provided by the datasource.  Changes
                # to it will not persist across an instance reboot.  To disable cloud-init's
                # network configuration capabilities, write a file
                # /etc/cloud/cloud.cfg.d/99-disable-network-config.cfg with the following:
                # network: {config: disabled}
                network:
                    ethernets:
                        eth0:
                            dhcp4: true
                    version: 2
                """);
        String generated = netplanGenerate(t);
        assertThat(generated)
                .contains("[Match]\nName=eth0\n")
                .doesNotContain("MACAddress")
                .doesNotContain("52:54:00");
        assertThat(patchAgain(t, CLOUD_INIT)).isEmpty();
    }

    @Test
    void netplanEditsKeepOtherMatchKeysAndRefuseFlowStyle() {
        String azure = """
                network:
                  version: 2
                  ethernets:
                    id0:
                      match:
                        driver: hv_netvsc
                        macaddress: 00:0d:3a:00:00:01
                      set-name: enp1s0
                      dhcp4: true
                    lan:
                      match:
                        macaddress: 52:54:00:6b:3c:58
                      set-name: lan
                      dhcp4: yes
                """;
        assertThat(NetworkPatch.netplan(azure)).isEqualTo("""
                network:
                  version: 2
                  ethernets:
                    id0:
                      match:
                        driver: hv_netvsc
                      set-name: eth0
                      dhcp4: true
                    eth0:
                      dhcp4: yes
                """);
        assertThat(NetworkPatch.netplan("network:\n  ethernets:\n    enp1s0:\n      match: {macaddress: "
                        + "'52:54:00:6b:3c:58'}\n      dhcp4: true\n"))
                .isNull();
    }

    @Test
    void rhel9KeyfileFollowsEth0AndLosesItsMacBinding(@TempDir Path dir) throws Exception {
        GuestTree t = NetworkFixtures.rhel9(dir);
        // NetworkManager would still bring eth0 up with its automatic "Wired connection": DHCP holds before, too
        assertThat(audit(t, NO_AGENT).finding("NOAGENT-DHCP").status()).isEqualTo(FindingStatus.Pass);
        ComplianceReport r = prepare(t, NO_AGENT);
        String k = t.read("/etc/NetworkManager/system-connections/enp1s0.nmconnection");
        assertThat(k)
                .contains("\ninterface-name=eth0\n")
                .doesNotContain("interface-name=enp1s0")
                .contains("# linuximage (CMDLINE-CONSOLE): Azure's NIC has another MAC: mac-address=52:54:00:6B:3C:58")
                .contains("[ipv4]\nmethod=auto\n")
                .contains("uuid=0b9d3d5f-6c25-3e8a-a6d2-5bf1a3c8e6a1\n");
        assertThat(perms(t, "/etc/NetworkManager/system-connections/enp1s0.nmconnection"))
                .isEqualTo("rw-------");
        assertThat(r.finding("NOAGENT-DHCP").status()).isEqualTo(FindingStatus.Pass);
        assertThat(r.finding("NOAGENT-DHCP").message()).contains("eth0 is configured by DHCP");
        assertThat(t.exists(NetworkPatch.NM_FILE)).isFalse();
        assertThat(patchAgain(t, NO_AGENT)).isEmpty();
    }

    @Test
    void networkManagerWithoutAutoDefaultFailsUntilTheProfileIsReKeyed(@TempDir Path dir) throws Exception {
        GuestTree t = NetworkFixtures.rhel9(dir);
        t.file("/etc/NetworkManager/conf.d/00-no-auto-default.conf", "[main]\nno-auto-default=*\n");
        assertThat(audit(t, NO_AGENT).finding("NOAGENT-DHCP").status()).isEqualTo(FindingStatus.Fail);
        assertThat(prepare(t, NO_AGENT).finding("NOAGENT-DHCP").status()).isEqualTo(FindingStatus.Fixed);
    }

    @Test
    void rhel8IfcfgIsRenamedToEth0WithoutHwaddr(@TempDir Path dir) throws Exception {
        GuestTree t = NetworkFixtures.rhel8(dir);
        String before = t.read("/etc/sysconfig/network-scripts/ifcfg-enp1s0");
        String lo = t.read("/etc/sysconfig/network-scripts/ifcfg-lo");
        ComplianceReport r = prepare(t, CLOUD_INIT);
        assertThat(t.exists("/etc/sysconfig/network-scripts/ifcfg-enp1s0")).isFalse();
        assertThat(t.read("/etc/sysconfig/network-scripts/ifcfg-eth0"))
                .isEqualTo(
                        before.replace("NAME=enp1s0", "NAME=eth0")
                                .replace("DEVICE=enp1s0", "DEVICE=eth0")
                                .replace(
                                        "HWADDR=52:54:00:6B:3C:58",
                                        "# linuximage (CMDLINE-CONSOLE): Azure's NIC has another MAC: HWADDR=52:54:00:6B:3C:58"));
        assertThat(t.read("/etc/sysconfig/network-scripts/ifcfg-lo")).isEqualTo(lo);
        assertThat(r.changes())
                .anySatisfy(c -> assertThat(c.path()).isEqualTo("/etc/sysconfig/network-scripts/ifcfg-eth0"));
        assertThat(patchAgain(t, CLOUD_INIT)).isEmpty();
    }

    @Test
    void slesWickedDhcpOnEth0PassesAndItsLeaseIsDeprovisioned(@TempDir Path dir) throws Exception {
        GuestTree t = NetworkFixtures.sles15(dir, "eth0");
        ComplianceReport before = audit(t, NO_AGENT);
        // wicked brings its own DHCP supplicant: no dhclient is needed (this was a false Fail)
        assertThat(before.finding("NOAGENT-DHCP").status()).isEqualTo(FindingStatus.Pass);
        assertThat(before.finding("DEPROVISION-MACHINE").evidence())
                .anySatisfy(e -> assertThat(e.file()).isEqualTo("/var/lib/wicked/lease-eth0-dhcp-ipv4.xml"));
        ComplianceReport r = prepare(t, NO_AGENT);
        assertThat(t.exists("/var/lib/wicked/lease-eth0-dhcp-ipv4.xml")).isFalse();
        assertThat(r.finding("DEPROVISION-MACHINE").status()).isEqualTo(FindingStatus.Fixed);
        assertThat(r.finding("NOAGENT-DHCP").status()).isEqualTo(FindingStatus.Pass);
        assertThat(t.read("/etc/sysconfig/network/ifcfg-eth0"))
                .isEqualTo("BOOTPROTO='dhcp'\nSTARTMODE='auto'\nZONE=''\n");
    }

    @Test
    void slesWickedOnAPredictableNameIsRenamed(@TempDir Path dir) throws Exception {
        GuestTree t = NetworkFixtures.sles15(dir, "enp1s0");
        t.file("/etc/sysconfig/network/ifroute-enp1s0", "default 192.168.122.1 - enp1s0\n");
        assertThat(audit(t, NO_AGENT).finding("NOAGENT-DHCP").status()).isEqualTo(FindingStatus.Fail);
        ComplianceReport r = prepare(t, NO_AGENT);
        assertThat(t.exists("/etc/sysconfig/network/ifcfg-enp1s0")).isFalse();
        assertThat(t.read("/etc/sysconfig/network/ifcfg-eth0"))
                .isEqualTo("BOOTPROTO='dhcp'\nSTARTMODE='auto'\nZONE=''\n");
        assertThat(t.read("/etc/sysconfig/network/ifroute-eth0")).isEqualTo("default 192.168.122.1 - eth0\n");
        assertThat(r.finding("NOAGENT-DHCP").status()).isEqualTo(FindingStatus.Fixed);
        assertThat(t.exists("/var/lib/wicked/lease-enp1s0-dhcp-ipv4.xml")).isFalse();
        assertThat(patchAgain(t, NO_AGENT)).isEmpty();
    }

    @Test
    void debianIfupdownStanzaIsReKeyed(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        prepare(t, CLOUD_INIT);
        assertThat(t.read("/etc/network/interfaces"))
                .isEqualTo(GuestFixtures.DEBIAN_INTERFACES.replace(
                        "allow-hotplug enp1s0\niface enp1s0 inet dhcp", "allow-hotplug eth0\niface eth0 inet dhcp"));
    }

    @Test
    void ifupdownWithoutADhcpClientProgramFails(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        prepare(t, NO_AGENT);
        assertThat(audit(t, NO_AGENT).finding("NOAGENT-DHCP").status()).isEqualTo(FindingStatus.Pass);
        Files.delete(t.root().resolve("usr/sbin/dhclient"));
        ComplianceReport r = audit(t, NO_AGENT);
        assertThat(r.finding("NOAGENT-DHCP").status()).isEqualTo(FindingStatus.Fail);
        assertThat(r.finding("NOAGENT-DHCP").repair()).contains("isc-dhcp-client");
    }

    @Test
    void archNetworkdProfileForEnp1s0WasAFalsePass(@TempDir Path dir) throws Exception {
        GuestTree t = NetworkFixtures.arch(dir, "Name=enp1s0");
        assertThat(audit(t, NO_AGENT).finding("NOAGENT-DHCP").status()).isEqualTo(FindingStatus.Fail);
        ComplianceReport r = prepare(t, NO_AGENT);
        assertThat(t.read("/etc/systemd/network/20-wired.network"))
                .isEqualTo("[Match]\nName=eth0\n\n[Network]\nDHCP=yes\n");
        assertThat(r.finding("NOAGENT-DHCP").status()).isEqualTo(FindingStatus.Fixed);
        assertThat(t.exists(NetworkPatch.NETWORKD_FILE)).isFalse();
        // systemd's own container profile is not a NIC profile and stays as shipped
        assertThat(t.read("/usr/lib/systemd/network/80-container-ve.network")).startsWith("[Match]\nName=ve-*\n");
        assertThat(patchAgain(t, NO_AGENT)).isEmpty();
    }

    @Test
    void networkdProfileMatchedByMacGetsANameInstead(@TempDir Path dir) throws Exception {
        GuestTree t = NetworkFixtures.arch(dir, "MACAddress=52:54:00:6b:3c:58");
        prepare(t, NO_AGENT);
        assertThat(t.read("/etc/systemd/network/20-wired.network"))
                .isEqualTo("[Match]\nName=eth0\n"
                        + "# linuximage (CMDLINE-CONSOLE): Azure's NIC has another MAC: MACAddress=52:54:00:6b:3c:58\n\n"
                        + "[Network]\nDHCP=yes\n");
        assertThat(network(t).eth0Dhcp()).isTrue();
    }

    @Test
    void networkdAppliesTheFirstMatchingFileOnly(@TempDir Path dir) throws Exception {
        GuestTree t = NetworkFixtures.arch(dir, "Name=eth0");
        t.file("/etc/systemd/network/30-static.network", "[Match]\nName=eth0\n\n[Network]\nAddress=10.0.0.5/24\n");
        assertThat(network(t).eth0Dhcp()).isTrue(); // 20-wired.network (DHCP) wins over 30-static.network
        t.file("/etc/systemd/network/10-static.network", "[Match]\nName=eth*\n\n[Network]\nAddress=10.0.0.5/24\n");
        assertThat(network(t).eth0Dhcp()).isFalse();
        assertThat(audit(t, NO_AGENT).finding("NOAGENT-DHCP").status()).isEqualTo(FindingStatus.Fail);
    }

    @Test
    void selfIncludingInterfacesFilesAreBounded(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        for (int i = 0; i < 40; i++) {
            t.file("/etc/network/interfaces.d/f" + i, "source /etc/network/interfaces.d/*\n");
        }
        long start = System.nanoTime();
        NetworkConfig nc = network(t);
        assertThat(System.nanoTime() - start).isLessThan(java.util.concurrent.TimeUnit.SECONDS.toNanos(20));
        assertThat(nc.profiles()).extracting(NetworkConfig.Profile::name).contains("enp1s0");
    }

    @Test
    void twoConfiguredNicsAreLeftForTheUser(@TempDir Path dir) throws Exception {
        GuestTree t = NetworkFixtures.arch(dir, "Name=enp1s0");
        t.file("/etc/systemd/network/21-second.network", "[Match]\nName=enp2s0\n\n[Network]\nDHCP=yes\n");
        ComplianceReport r = prepare(t, CLOUD_INIT);
        assertThat(t.read("/etc/systemd/network/20-wired.network")).contains("Name=enp1s0");
        assertThat(r.finding("CMDLINE-CONSOLE").status()).isEqualTo(FindingStatus.Fail);
        assertThat(r.finding("CMDLINE-CONSOLE").repair()).contains("several NICs");
    }

    @Test
    void agentLessGuestWithoutAnEth0ProfileGetsOneInItsStack(@TempDir Path dir) throws Exception {
        GuestTree t = NetworkFixtures.arch(dir, "Name=enp1s0");
        Files.delete(t.root().resolve("etc/systemd/network/20-wired.network"));
        assertThat(audit(t, NO_AGENT).finding("NOAGENT-DHCP").status()).isEqualTo(FindingStatus.Fail);
        ComplianceReport r = prepare(t, NO_AGENT);
        assertThat(t.read(NetworkPatch.NETWORKD_FILE)).endsWith("[Match]\nName=eth0\n\n[Network]\nDHCP=ipv4\n");
        assertThat(r.finding("NOAGENT-DHCP").status()).isEqualTo(FindingStatus.Fixed);
        assertThat(patchAgain(t, NO_AGENT)).isEmpty();
    }

    @Test
    void agentLessNetplanGuestGetsANetplanProfile(@TempDir Path dir) throws Exception {
        GuestTree t = NetworkFixtures.ubuntu2204(dir);
        t.file("/etc/netplan/00-installer-config.yaml", "network:\n  version: 2\n", "rw-------");
        prepare(t, NO_AGENT);
        assertThat(perms(t, NetworkPatch.NETPLAN_FILE)).isEqualTo("rw-------");
        assertThat(netplanGenerate(t)).contains("[Match]\nName=eth0\n").contains("DHCP=ipv4");
        assertThat(patchAgain(t, NO_AGENT)).isEmpty();
    }

    @Test
    void staticAddressIsReKeyedButNotTurnedIntoDhcp(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        t.file(
                "/etc/network/interfaces",
                "auto lo\niface lo inet loopback\n\nauto enp1s0\niface enp1s0 inet static\n"
                        + "    address 192.168.122.50/24\n    gateway 192.168.122.1\n");
        ComplianceReport r = prepare(t, NO_AGENT);
        assertThat(t.read("/etc/network/interfaces"))
                .contains("auto eth0\niface eth0 inet static\n" + "    address 192.168.122.50/24\n");
        assertThat(r.finding("NOAGENT-DHCP").status()).isEqualTo(FindingStatus.Fail);
        assertThat(r.finding("NOAGENT-DHCP").repair())
                .contains("/etc/network/interfaces")
                .contains("DHCP");
    }

    @Test
    void noNetworkStackAtAllFailsWithAdvice(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel9(dir);
        ComplianceReport r = prepare(t, NO_AGENT);
        assertThat(r.finding("NOAGENT-DHCP").status()).isEqualTo(FindingStatus.Fail);
        assertThat(r.finding("NOAGENT-DHCP").repair()).contains("enable the distribution's network service");
    }

    @Test
    void persistentNetRulesGoAndTheOldGeneratorIsMasked(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        t.file(
                "/etc/udev/rules.d/70-persistent-net.rules",
                "# This file was automatically generated by the "
                        + "/lib/udev/write_net_rules\n# program, run by the persistent-net-generator.rules rules file.\n\n"
                        + "# PCI device 0x1af4:0x1000 (virtio-pci)\nSUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", "
                        + "ATTR{address}==\"52:54:00:6b:3c:58\", ATTR{dev_id}==\"0x0\", ATTR{type}==\"1\", KERNEL==\"eth*\", "
                        + "NAME=\"eth0\"\n");
        t.file("/lib/udev/rules.d/75-persistent-net-generator.rules", "# do not edit this file\n");
        ComplianceReport before = audit(t, CLOUD_INIT);
        assertThat(before.finding("CMDLINE-CONSOLE").evidence())
                .anySatisfy(e -> assertThat(e.file()).isEqualTo("/etc/udev/rules.d/70-persistent-net.rules"));
        prepare(t, CLOUD_INIT);
        assertThat(t.exists("/etc/udev/rules.d/70-persistent-net.rules")).isFalse();
        assertThat(t.readLink("/etc/udev/rules.d/75-persistent-net-generator.rules"))
                .isEqualTo("/dev/null");
        assertThat(patchAgain(t, CLOUD_INIT)).isEmpty();
    }

    @Test
    void anExistingGeneratorMaskIsKept(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        t.file("/lib/udev/rules.d/75-persistent-net-generator.rules", "# do not edit this file\n");
        t.file("/etc/udev/rules.d/75-persistent-net-generator.rules", ""); // an empty file masks it too
        prepare(t, CLOUD_INIT);
        assertThat(t.read("/etc/udev/rules.d/75-persistent-net-generator.rules"))
                .isEmpty();
    }
}
