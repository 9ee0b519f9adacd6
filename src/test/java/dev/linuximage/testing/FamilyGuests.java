package dev.linuximage.testing;

import dev.linuximage.core.initramfs.testing.OtherGeneratorFixture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Guest trees of the distribution families the seeds name, laid out the way each distribution installs itself, in
 * the state a VM built on KVM leaves behind (serial console missing, rhgb/quiet present, services not enabled).
 * Layout sources: RHEL 6 Installation Guide / anaconda's grub.conf (GRUB legacy, {@code /etc/grub.conf} and
 * {@code menu.lst} links, SysV rc links with chkconfig headers, {@code id:3:initdefault:} in inittab); RHEL 7
 * System Administrator's Guide (grub2 {@code /boot/grub2/grub.cfg}, {@code /etc/default/grub}, rescue kernel
 * {@code vmlinuz-0-rescue-<machine-id>}); SLES 15 (grub2 with {@code ${extra_cmdline}}, wicked); Ubuntu 22.04 cloud
 * images ({@code /etc/default/grub.d/50-cloudimg-settings.cfg}); Alpine (setup-disk's extlinux.conf with
 * {@code /etc/update-extlinux.conf}, OpenRC runlevels, {@code vmlinuz-virt}, an mkinitfs initramfs); Arch
 * (systemd-boot loader entries, {@code vmlinuz-linux}, mkinitcpio images with the busybox init of its default
 * {@code HOOKS}). Contents are written for these tests, not copied from the distributions; the initramfs images are
 * real cpio archives ({@link OtherGeneratorFixture}).
 */
public final class FamilyGuests {
    public static final String RHEL6_KERNEL = "2.6.32-220.el6.x86_64";
    public static final String CENTOS7_KERNEL = "3.10.0-1160.el7.x86_64";
    public static final String SLES15_KERNEL = "5.14.21-150500.55.19-default";
    public static final String UBUNTU_KERNEL = "5.15.0-91-generic";
    public static final String ALPINE_KERNEL = "6.6.14-0-virt";
    public static final String ARCH_KERNEL = "6.7.4-arch1-1";
    public static final String MACHINE_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    static final String ROOT_UUID = "6d5c0f7e-8a3b-4c2d-9e1f-0a1b2c3d4e5f";

    private FamilyGuests() {
    }

    /**
     * A minimal x86 bzImage: the setup header magic {@code HdrS} at 0x202, boot protocol 2.15, and
     * {@code kernel_version} (0x20E, little-endian) pointing at the version string at 0x200 + value
     * ({@code Documentation/arch/x86/boot.rst}).
     */
    static byte[] bzImage(String versionString) {
        byte[] b = new byte[0x400];
        b[0x202] = 'H';
        b[0x203] = 'd';
        b[0x204] = 'r';
        b[0x205] = 'S';
        b[0x206] = 0x0f;
        b[0x207] = 0x02;
        int ptr = 0x300 - 0x200;
        b[0x20E] = (byte) ptr;
        b[0x20F] = (byte) (ptr >> 8);
        byte[] v = versionString.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        System.arraycopy(v, 0, b, 0x300, Math.min(v.length, b.length - 0x300 - 1));
        return b;
    }

    /** Builds an image in a temporary directory outside the guest, removed afterwards. */
    interface ImageBuild {
        byte[] build(Path work) throws IOException, InterruptedException;
    }

    static byte[] image(ImageBuild b) throws IOException, InterruptedException {
        Path work = Files.createTempDirectory("familyguest-initramfs");
        try {
            return b.build(work);
        } finally {
            try (var s = Files.walk(work)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    static String sysvScript(String name, String chkconfig) {
        return "#!/bin/sh\n#\n# " + name + "\n#\n# chkconfig: " + chkconfig + "\n# description: " + name + "\n\n"
                + ". /etc/rc.d/init.d/functions\n\ncase \"$1\" in start) ;; stop) ;; esac\n";
    }

    /**
     * RHEL 6 ({@code release}, e.g. "6.2") without /etc/os-release: GRUB legacy on a /boot-less single root (paths
     * start with /boot), SysV init with sshd switched off ({@code chkconfig sshd off}: K links only), cloud-init's
     * SysV scripts installed but not added.
     */
    public static GuestTree rhel6(Path root, String release) {
        GuestTree t = new GuestTree(root);
        t.dir("/bin").dir("/sbin").dir("/usr/bin").dir("/usr/sbin").dir("/tmp").dir("/dev").dir("/proc");
        t.file("/etc/redhat-release", "Red Hat Enterprise Linux Server release " + release + " (Santiago)\n");
        t.link("/etc/system-release", "redhat-release");
        String k = RHEL6_KERNEL;
        t.file("/boot/vmlinuz-" + k, "kernel").file("/boot/initramfs-" + k + ".img", "initramfs");
        t.file("/boot/System.map-" + k, "map");
        t.file("/lib/modules/" + k + "/modules.dep", """
                kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko
                kernel/fs/fat/fat.ko:
                kernel/fs/udf/udf.ko: kernel/lib/crc-itu-t.ko
                """);
        t.file("/lib/modules/" + k + "/modules.builtin", "kernel/fs/ext4/ext4.ko\n");
        t.file("/boot/grub/grub.conf", """
                # grub.conf generated by anaconda
                #
                # Note that you do not have to rerun grub after making changes to this file
                # NOTICE:  You do not have a /boot partition.  This means that
                #          all kernel and initrd paths are relative to /, eg.
                #          root (hd0,0)
                #          kernel /boot/vmlinuz-version ro root=/dev/sda1
                #          initrd /boot/initrd-[generic-]version.img
                #boot=/dev/sda
                default=0
                timeout=5
                splashimage=(hd0,0)/boot/grub/splash.xpm.gz
                hiddenmenu
                title Red Hat Enterprise Linux Server (%1$s)
                	root (hd0,0)
                	kernel /boot/vmlinuz-%1$s ro root=UUID=%2$s rd_NO_LUKS LANG=en_US.UTF-8 rd_NO_MD SYSFONT=latarcyrheb-sun16 crashkernel=auto KEYBOARDTYPE=pc KEYTABLE=us rd_NO_DM rhgb quiet
                	initrd /boot/initramfs-%1$s.img
                """.formatted(k, ROOT_UUID));
        t.link("/boot/grub/menu.lst", "./grub.conf");
        t.link("/etc/grub.conf", "../boot/grub/grub.conf");
        t.file("/etc/fstab", "UUID=" + ROOT_UUID + " /                       ext4    defaults        1 1\n"
                + "tmpfs                   /dev/shm                tmpfs   defaults        0 0\n"
                + "proc                    /proc                   proc    defaults        0 0\n");
        t.file("/etc/inittab", "# Default runlevel.\nid:3:initdefault:\n");
        t.dir("/etc/rc.d/init.d");
        t.link("/etc/init.d", "rc.d/init.d");
        for (int n = 0; n <= 6; n++) {
            t.dir("/etc/rc.d/rc" + n + ".d");
            t.link("/etc/rc" + n + ".d", "rc.d/rc" + n + ".d");
        }
        t.file("/etc/rc.d/init.d/functions", "# functions\n");
        t.file("/etc/rc.d/init.d/sshd", sysvScript("sshd", "2345 55 25"), "rwxr-xr-x");
        t.file("/usr/sbin/sshd", "ELF", "rwxr-xr-x");
        for (int n = 0; n <= 6; n++) {
            t.link("/etc/rc.d/rc" + n + ".d/K25sshd", "../init.d/sshd"); // chkconfig sshd off
        }
        t.file("/etc/rc.d/init.d/network", sysvScript("network", "2345 10 90"), "rwxr-xr-x");
        t.link("/etc/rc.d/rc3.d/S10network", "../init.d/network");
        t.file("/etc/rc.d/init.d/cloud-init-local", sysvScript("cloud-init-local", "- 08 92"), "rwxr-xr-x");
        t.file("/etc/rc.d/init.d/cloud-init", sysvScript("cloud-init", "- 09 91"), "rwxr-xr-x");
        t.file("/etc/rc.d/init.d/cloud-config", sysvScript("cloud-config", "- 11 89"), "rwxr-xr-x");
        t.file("/etc/rc.d/init.d/cloud-final", sysvScript("cloud-final", "- 99 01"), "rwxr-xr-x");
        t.file("/usr/bin/cloud-init", "#!/usr/bin/python\n", "rwxr-xr-x");
        t.file("/usr/bin/python2.6", "ELF", "rwxr-xr-x");
        t.file("/usr/lib/python2.6/site-packages/cloudinit/version.py", "__VERSION__ = '0.7.5'\n");
        t.file("/etc/cloud/cloud.cfg", "cloud_init_modules:\n - bootcmd\n");
        t.file("/etc/sysconfig/network-scripts/ifcfg-eth0", "DEVICE=eth0\nBOOTPROTO=dhcp\nONBOOT=yes\n");
        t.file("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        t.file("/etc/shadow", "root:!!:19000:0:99999:7:::\n");
        t.dir("/root");
        return t;
    }

    /** CentOS 7: os-release, grub2 on BIOS with linux16 lines, a rescue kernel, systemd with sshd disabled. */
    public static GuestTree centos7(Path root) {
        GuestTree t = new GuestTree(root);
        t.dir("/usr/bin").dir("/usr/sbin").dir("/usr/lib").dir("/usr/lib64").dir("/tmp").dir("/dev").dir("/proc");
        t.link("/bin", "usr/bin").link("/sbin", "usr/sbin").link("/lib", "usr/lib").link("/lib64", "usr/lib64");
        t.file("/etc/os-release", """
                NAME="CentOS Linux"
                VERSION="7 (Core)"
                ID="centos"
                ID_LIKE="rhel fedora"
                VERSION_ID="7"
                PRETTY_NAME="CentOS Linux 7 (Core)"
                """);
        t.file("/etc/centos-release", "CentOS Linux release 7.9.2009 (Core)\n");
        t.link("/etc/redhat-release", "centos-release");
        t.file("/etc/machine-id", MACHINE_ID + "\n");
        String k = CENTOS7_KERNEL;
        t.file("/boot/vmlinuz-" + k, "kernel").file("/boot/initramfs-" + k + ".img", "initramfs");
        t.file("/boot/vmlinuz-0-rescue-" + MACHINE_ID, "rescue kernel");
        t.file("/boot/initramfs-0-rescue-" + MACHINE_ID + ".img", "rescue initramfs");
        t.file("/usr/lib/modules/" + k + "/modules.dep", """
                kernel/fs/fat/vfat.ko.xz: kernel/fs/fat/fat.ko.xz
                kernel/fs/udf/udf.ko.xz: kernel/lib/crc-itu-t.ko.xz
                kernel/drivers/hv/hv_vmbus.ko.xz:
                """);
        t.file("/usr/lib/modules/" + k + "/modules.builtin", "kernel/fs/fat/fat.ko\n");
        t.file("/etc/default/grub", """
                GRUB_TIMEOUT=5
                GRUB_DISTRIBUTOR="$(sed 's, release .*$,,g' /etc/system-release)"
                GRUB_DEFAULT=saved
                GRUB_DISABLE_SUBMENU=true
                GRUB_TERMINAL_OUTPUT="console"
                GRUB_CMDLINE_LINUX="crashkernel=auto rd.lvm.lv=centos/root rhgb quiet"
                GRUB_DISABLE_RECOVERY="true"
                """);
        t.file("/boot/grub2/grub.cfg", """
                ### BEGIN /etc/grub.d/10_linux ###
                menuentry 'CentOS Linux (%1$s) 7 (Core)' --class centos --class gnu-linux --class gnu --class os {
                	load_video
                	insmod xfs
                	linux16 /vmlinuz-%1$s root=/dev/mapper/centos-root ro crashkernel=auto rd.lvm.lv=centos/root rhgb quiet LANG=en_US.UTF-8
                	initrd16 /initramfs-%1$s.img
                }
                menuentry 'CentOS Linux (0-rescue-%2$s) 7 (Core)' --class centos --class gnu-linux --class gnu --class os {
                	load_video
                	insmod xfs
                	linux16 /vmlinuz-0-rescue-%2$s root=/dev/mapper/centos-root ro crashkernel=auto rd.lvm.lv=centos/root rhgb quiet
                	initrd16 /initramfs-0-rescue-%2$s.img
                }
                ### END /etc/grub.d/10_linux ###
                """.formatted(k, MACHINE_ID));
        t.link("/etc/grub2.cfg", "../boot/grub2/grub.cfg");
        t.file("/usr/lib/systemd/system/sshd.service", GuestFixtures.unit("OpenSSH server daemon",
                "/usr/sbin/sshd -D", "WantedBy=multi-user.target"));
        t.file("/usr/sbin/sshd", "ELF", "rwxr-xr-x");
        t.dir("/etc/systemd/system/multi-user.target.wants");
        t.file("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        return t;
    }

    /** SLES 15 SP5: grub2 with SUSE's ${extra_cmdline}, wicked enabled, sshd disabled. */
    public static GuestTree sles15(Path root) {
        GuestTree t = new GuestTree(root);
        t.dir("/usr/bin").dir("/usr/sbin").dir("/bin").dir("/sbin").dir("/tmp").dir("/dev").dir("/proc");
        t.file("/usr/lib/os-release", """
                NAME="SLES"
                VERSION="15-SP5"
                VERSION_ID="15.5"
                PRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"
                ID="sles"
                ID_LIKE="suse"
                """);
        t.link("/etc/os-release", "../usr/lib/os-release");
        String k = SLES15_KERNEL;
        t.file("/boot/vmlinuz-" + k, "kernel").file("/boot/initrd-" + k, "initrd");
        t.file("/lib/modules/" + k + "/modules.dep", "kernel/fs/fat/vfat.ko.zst: kernel/fs/fat/fat.ko.zst\n"
                + "kernel/fs/udf/udf.ko.zst:\n");
        t.file("/lib/modules/" + k + "/modules.builtin", "kernel/fs/ext4/ext4.ko\n");
        t.file("/etc/default/grub", """
                GRUB_DISTRIBUTOR=
                GRUB_DEFAULT=saved
                GRUB_HIDDEN_TIMEOUT=0
                GRUB_TIMEOUT=8
                GRUB_CMDLINE_LINUX_DEFAULT="splash=silent mitigations=auto quiet"
                GRUB_CMDLINE_LINUX=""
                GRUB_TERMINAL="gfxterm"
                """);
        t.file("/boot/grub2/grub.cfg", """
                ### BEGIN /etc/grub.d/10_linux ###
                menuentry 'SLES 15-SP5' --class sles --class gnu-linux --class gnu --class os {
                	insmod gzio
                	echo	'Loading Linux %1$s ...'
                	linux	/boot/vmlinuz-%1$s root=UUID=%2$s  ${extra_cmdline} splash=silent mitigations=auto quiet
                	echo	'Loading initial ramdisk ...'
                	initrd	/boot/initrd-%1$s
                }
                ### END /etc/grub.d/10_linux ###
                """.formatted(k, ROOT_UUID));
        t.file("/usr/lib/systemd/system/sshd.service", GuestFixtures.unit("OpenSSH Daemon", "/usr/sbin/sshd -D",
                "WantedBy=multi-user.target"));
        t.file("/usr/sbin/sshd", "ELF", "rwxr-xr-x");
        t.file("/usr/lib/systemd/system/wicked.service", GuestFixtures.unit("wicked managed network interfaces",
                "/usr/sbin/wicked --systemd ifup all", "WantedBy=multi-user.target\nAlias=network.service"));
        t.link("/etc/systemd/system/multi-user.target.wants/wicked.service",
                "/usr/lib/systemd/system/wicked.service");
        t.link("/etc/systemd/system/network.service", "/usr/lib/systemd/system/wicked.service");
        t.file("/etc/sysconfig/network/ifcfg-eth0", "BOOTPROTO='dhcp'\nSTARTMODE='auto'\n");
        t.file("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        return t;
    }

    /** Ubuntu 22.04 cloud image: grub2, the cloudimg drop-in, ssh.service disabled. */
    public static GuestTree ubuntu2204(Path root) {
        GuestTree t = GuestFixtures.mergedUsr(root);
        t.file("/usr/lib/os-release", """
                PRETTY_NAME="Ubuntu 22.04.3 LTS"
                NAME="Ubuntu"
                VERSION_ID="22.04"
                ID=ubuntu
                ID_LIKE=debian
                """);
        t.link("/etc/os-release", "../usr/lib/os-release");
        String k = UBUNTU_KERNEL;
        t.file("/boot/vmlinuz-" + k, "kernel").file("/boot/initrd.img-" + k, "initrd");
        t.file("/usr/lib/modules/" + k + "/modules.dep", "kernel/fs/udf/udf.ko:\n");
        t.file("/usr/lib/modules/" + k + "/modules.builtin", "kernel/fs/fat/vfat.ko\n");
        t.file("/etc/default/grub", """
                GRUB_DEFAULT=0
                GRUB_TIMEOUT_STYLE=hidden
                GRUB_TIMEOUT=0
                GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`
                GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"
                GRUB_CMDLINE_LINUX=""
                """);
        t.file("/etc/default/grub.d/50-cloudimg-settings.cfg", """
                # Cloud Image specific Grub settings for Generic Cloud Images
                GRUB_CMDLINE_LINUX_DEFAULT="console=tty1 console=ttyS0"
                GRUB_TIMEOUT=0
                """);
        t.file("/boot/grub/grub.cfg", """
                menuentry 'Ubuntu' --class ubuntu --class gnu-linux --class gnu --class os {
                	linux	/boot/vmlinuz-%1$s root=UUID=%2$s ro  console=tty1 console=ttyS0
                	initrd	/boot/initrd.img-%1$s
                }
                """.formatted(k, ROOT_UUID));
        t.file("/usr/lib/systemd/system/ssh.service", GuestFixtures.unit("OpenBSD Secure Shell server",
                "/usr/sbin/sshd -D", "WantedBy=multi-user.target\nAlias=sshd.service"));
        t.file("/usr/sbin/sshd", "ELF", "rwxr-xr-x");
        t.file("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        return t;
    }

    /**
     * Alpine 3.19 as setup-disk leaves a "sys" install: extlinux in /boot/extlinux.conf generated by update-extlinux
     * from /etc/update-extlinux.conf, OpenRC with sshd and cloud-init installed but not in any runlevel.
     */
    public static GuestTree alpine(Path root) throws IOException, InterruptedException {
        GuestTree t = new GuestTree(root);
        t.dir("/bin").dir("/sbin").dir("/usr/bin").dir("/usr/sbin").dir("/tmp").dir("/dev").dir("/proc");
        t.file("/etc/alpine-release", "3.19.1\n");
        t.file("/usr/lib/os-release", """
                NAME="Alpine Linux"
                ID=alpine
                VERSION_ID=3.19.1
                PRETTY_NAME="Alpine Linux v3.19"
                """);
        t.link("/etc/os-release", "../usr/lib/os-release");
        // linux-virt's image carries its release in the bzImage header, as the real one does
        t.bytes("/boot/vmlinuz-virt", bzImage(ALPINE_KERNEL + " (buildozer@build-3-19-x86_64) #1-Alpine SMP"),
                "rw-r--r--");
        // mkinitfs: its init is /usr/share/mkinitfs/initramfs-init, installed as the image's /init. No stock feature
        // carries the Hyper-V drivers (features.d has virtio, xenpci, ... but no hyperv): this guest's admin added one,
        // as Alpine-on-Hyper-V guides do, so the image has them
        String init = OtherGeneratorFixture.script("mkinitfs-init");
        t.file("/usr/share/mkinitfs/initramfs-init", init, "rwxr-xr-x");
        t.file("/etc/mkinitfs/features.d/hyperv.modules", "kernel/drivers/hv\n");
        t.file("/etc/mkinitfs/mkinitfs.conf", "features=\"ata base ide scsi usb virtio ext4 hyperv\"\n");
        List<String> hv = List.of("kernel/drivers/hv/hv_vmbus.ko.gz", "kernel/drivers/scsi/hv_storvsc.ko.gz",
                "kernel/drivers/net/hyperv/hv_netvsc.ko.gz");
        t.bytes("/boot/initramfs-virt", image(w -> OtherGeneratorFixture.mkinitfsImage(w, init, hv)), "rw-r--r--");
        t.file("/boot/config-virt", "CONFIG_HYPERV=m\n");
        String k = ALPINE_KERNEL;
        t.file("/lib/modules/" + k + "/modules.dep", "kernel/fs/fat/vfat.ko.gz: kernel/fs/fat/fat.ko.gz\n"
                + "kernel/fs/udf/udf.ko.gz:\n");
        t.file("/lib/modules/" + k + "/modules.builtin", "kernel/fs/ext4/ext4.ko\n");
        t.file("/boot/extlinux.conf", """
                DEFAULT menu.c32
                PROMPT 0
                MENU TITLE Alpine/Linux Boot Menu
                MENU HIDDEN
                MENU AUTOBOOT Alpine will be booted automatically in # seconds.
                TIMEOUT 10
                LABEL virt
                  MENU DEFAULT
                  MENU LABEL Linux virt
                  LINUX vmlinuz-virt
                  INITRD initramfs-virt
                  APPEND root=UUID=%s modules=sd-mod,usb-storage,ext4 quiet rootfstype=ext4

                MENU SEPARATOR
                """.formatted(ROOT_UUID));
        t.file("/etc/update-extlinux.conf", """
                overwrite=1
                vesa_menu=0
                default_kernel_opts="quiet rootfstype=ext4"
                modules=sd-mod,usb-storage,ext4
                root=
                verbose=0
                hidden=1
                timeout=1
                default=virt
                """);
        t.file("/etc/fstab", "UUID=" + ROOT_UUID + "\t/\text4\trw,relatime 0 1\n");
        t.file("/sbin/openrc", "ELF", "rwxr-xr-x");
        for (String level : new String[] {"sysinit", "boot", "default", "shutdown"}) {
            t.dir("/etc/runlevels/" + level);
        }
        t.file("/etc/init.d/networking", "#!/sbin/openrc-run\n", "rwxr-xr-x");
        t.link("/etc/runlevels/boot/networking", "/etc/init.d/networking");
        t.file("/etc/init.d/sshd", "#!/sbin/openrc-run\ncommand=/usr/sbin/sshd\n", "rwxr-xr-x");
        t.file("/usr/sbin/sshd", "ELF", "rwxr-xr-x");
        for (String s : new String[] {"cloud-init-local", "cloud-init", "cloud-config", "cloud-final"}) {
            t.file("/etc/init.d/" + s, "#!/sbin/openrc-run\n", "rwxr-xr-x");
        }
        t.file("/usr/bin/cloud-init", "#!/usr/bin/python3\n", "rwxr-xr-x");
        t.file("/usr/lib/python3.11/site-packages/cloudinit/version.py", "__VERSION__ = \"23.4.4\"\n");
        t.file("/etc/cloud/cloud.cfg", "cloud_init_modules:\n - bootcmd\n");
        t.file("/etc/network/interfaces", "auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet dhcp\n");
        t.file("/etc/passwd", "root:x:0:0:root:/root:/bin/ash\n");
        t.dir("/root");
        return t;
    }

    /** Arch Linux with systemd-boot: the ESP mounted at /boot, one loader entry, sshd disabled. */
    public static GuestTree arch(Path root) throws IOException, InterruptedException {
        GuestTree t = GuestFixtures.mergedUsr(root);
        t.file("/usr/lib/os-release", """
                NAME="Arch Linux"
                PRETTY_NAME="Arch Linux"
                ID=arch
                BUILD_ID=rolling
                """);
        t.link("/etc/os-release", "../usr/lib/os-release");
        t.file("/etc/arch-release", "");
        t.file("/boot/vmlinuz-linux", "kernel");
        // mkinitcpio with its upstream default HOOKS (base udev ...): the busybox init of the base hook
        String functions = OtherGeneratorFixture.script("mkinitcpio-init_functions");
        t.file("/usr/lib/initcpio/init", OtherGeneratorFixture.script("mkinitcpio-init"), "rwxr-xr-x");
        t.file("/usr/lib/initcpio/init_functions", functions);
        t.file("/etc/mkinitcpio.conf", "MODULES=()\nBINARIES=()\nFILES=()\nHOOKS=(base udev autodetect microcode "
                + "modconf kms keyboard keymap consolefont block filesystems fsck)\n");
        t.bytes("/boot/initramfs-linux.img", image(w -> OtherGeneratorFixture.mkinitcpioImage(w, false,
                functions)), "rw-r--r--");
        t.bytes("/boot/initramfs-linux-fallback.img", image(w ->
                OtherGeneratorFixture.mkinitcpioImage(w, false, functions)), "rw-r--r--");
        String k = ARCH_KERNEL;
        t.file("/usr/lib/modules/" + k + "/modules.dep", "kernel/fs/udf/udf.ko.zst:\n");
        t.file("/usr/lib/modules/" + k + "/modules.builtin", "kernel/fs/fat/vfat.ko\n");
        t.file("/boot/loader/loader.conf", "default arch.conf\ntimeout 4\n");
        t.file("/boot/loader/entries/arch.conf", """
                title   Arch Linux
                linux   /vmlinuz-linux
                initrd  /initramfs-linux.img
                options root=UUID=%s rw quiet
                """.formatted(ROOT_UUID));
        t.file("/boot/loader/entries/arch-fallback.conf", """
                title   Arch Linux (fallback initramfs)
                linux   /vmlinuz-linux
                initrd  /initramfs-linux-fallback.img
                options root=UUID=%s rw
                """.formatted(ROOT_UUID));
        t.file("/usr/lib/systemd/system/sshd.service", GuestFixtures.unit("OpenSSH Daemon", "/usr/bin/sshd -D",
                "WantedBy=multi-user.target"));
        t.file("/usr/bin/sshd", "ELF", "rwxr-xr-x");
        t.file("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        return t;
    }
}
