package dev.linuximage.core.fs.ext4;

/**
 * The htree (dir_index) name hashes (kernel {@code Documentation/filesystems/ext4/directory.rst}, "Hash Tree
 * Directories"; semantics as in the kernel's {@code fs/ext4/hash.c} and e2fsprogs' {@code lib/ext2fs/dirhash.c}).
 * Versions: 0 legacy, 1 half_md4, 2 tea, and 3/4/5 the same with the name's bytes taken as unsigned (the kernel
 * adds 3 to a dx root's version when the superblock has {@code EXT2_FLAGS_UNSIGNED_HASH}). 6 (siphash) only
 * exists with casefold + encryption, which this engine refuses to open, so it is not implemented.
 *
 * <p>All arithmetic is on unsigned 32-bit words held in Java {@code int}s (wrap-around is the intended modulo
 * 2^32). The seed is {@code s_hash_seed} as four little-endian 32-bit words; an all-zero seed selects the MD4
 * initial values, as both the kernel and e2fsprogs do.
 */
final class DirHash {
    static final int LEGACY = 0;
    static final int HALF_MD4 = 1;
    static final int TEA = 2;
    static final int LEGACY_UNSIGNED = 3;
    static final int HALF_MD4_UNSIGNED = 4;
    static final int TEA_UNSIGNED = 5;

    /** The largest major hash ({@code EXT4_HTREE_EOF_32BIT}) is reserved as the end-of-directory cookie. */
    private static final int EOF_32BIT = 0x7FFFFFFF;

    private static final int TEA_DELTA = 0x9E3779B9;
    private static final int[] DEFAULT_SEED = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476};

    private DirHash() {}

    /** True for the versions implemented here (0..5). */
    static boolean supported(int version) {
        return version >= LEGACY && version <= TEA_UNSIGNED;
    }

    /**
     * Major hash of {@code name} (low bit cleared: it is the collision flag in dx entries) for {@code version}.
     *
     * @param seed four words, or null / all zero for the default
     */
    static int hash(int version, byte[] name, int[] seed) {
        return hashes(version, name, seed)[0];
    }

    /** {major, minor}; minor is 0 for the legacy hash. */
    static int[] hashes(int version, byte[] name, int[] seed) {
        if (!supported(version)) {
            throw new IllegalArgumentException("unsupported htree hash version " + version);
        }
        boolean unsigned = version >= LEGACY_UNSIGNED;
        int base = unsigned ? version - 3 : version;
        int[] buf = DEFAULT_SEED.clone();
        if (seed != null && (seed[0] | seed[1] | seed[2] | seed[3]) != 0) {
            System.arraycopy(seed, 0, buf, 0, 4);
        }
        int major;
        int minor;
        switch (base) {
            case LEGACY -> {
                major = legacy(name, unsigned);
                minor = 0;
            }
            case HALF_MD4 -> {
                int[] in = new int[8];
                for (int p = 0; p < name.length; p += 32) {
                    toWords(name, p, name.length - p, in, 8, unsigned);
                    halfMd4(buf, in);
                }
                major = buf[1];
                minor = buf[2];
            }
            default -> {
                int[] in = new int[4];
                for (int p = 0; p < name.length; p += 16) {
                    toWords(name, p, name.length - p, in, 4, unsigned);
                    tea(buf, in);
                }
                major = buf[0];
                minor = buf[1];
            }
        }
        major &= ~1;
        if (major == EOF_32BIT << 1) {
            major = (EOF_32BIT - 1) << 1;
        }
        return new int[] {major, minor};
    }

    private static int charValue(byte b, boolean unsigned) {
        return unsigned ? b & 0xFF : b;
    }

    /** The original "dx_hack_hash": a multiplicative mix, result shifted left by one. */
    private static int legacy(byte[] name, boolean unsigned) {
        int h0 = 0x12A3FE2D;
        int h1 = 0x37ABE8F9;
        for (byte b : name) {
            int h = h1 + (h0 ^ (charValue(b, unsigned) * 7152373));
            if (h < 0) { // bit 31 set
                h -= 0x7FFFFFFF;
            }
            h1 = h0;
            h0 = h;
        }
        return h0 << 1;
    }

    /**
     * Packs up to {@code 4 * num} bytes from {@code name[off..]} into {@code num} words, four characters per word
     * (first character most significant), the unused words and bytes filled with a pad derived from the remaining
     * length {@code len}.
     */
    private static void toWords(byte[] name, int off, int len, int[] out, int num, boolean unsigned) {
        int pad = len | (len << 8);
        pad |= pad << 16;
        int n = Math.min(len, num * 4);
        int w = 0;
        int val = pad;
        for (int i = 0; i < n; i++) {
            val = charValue(name[off + i], unsigned) + (val << 8);
            if ((i & 3) == 3) {
                out[w++] = val;
                val = pad;
            }
        }
        if (w < num) {
            out[w++] = val;
        }
        while (w < num) {
            out[w++] = pad;
        }
    }

    /** 16 rounds of TEA in a Davies-Meyer construction over two words of state. */
    private static void tea(int[] buf, int[] in) {
        int sum = 0;
        int b0 = buf[0];
        int b1 = buf[1];
        for (int n = 0; n < 16; n++) {
            sum += TEA_DELTA;
            b0 += ((b1 << 4) + in[0]) ^ (b1 + sum) ^ ((b1 >>> 5) + in[1]);
            b1 += ((b0 << 4) + in[2]) ^ (b0 + sum) ^ ((b0 >>> 5) + in[3]);
        }
        buf[0] += b0;
        buf[1] += b1;
    }

    private static int f(int x, int y, int z) {
        return z ^ (x & (y ^ z));
    }

    private static int g(int x, int y, int z) {
        return (x & y) + ((x ^ y) & z);
    }

    private static int h(int x, int y, int z) {
        return x ^ y ^ z;
    }

    private static final int K2 = 013240474631;
    private static final int K3 = 015666365641;

    /** The three-round, eight-word MD4 variant ("half MD4"). */
    private static void halfMd4(int[] buf, int[] in) {
        int a = buf[0];
        int b = buf[1];
        int c = buf[2];
        int d = buf[3];
        // round 1: F, words in order, shifts 3 7 11 19
        a = Integer.rotateLeft(a + f(b, c, d) + in[0], 3);
        d = Integer.rotateLeft(d + f(a, b, c) + in[1], 7);
        c = Integer.rotateLeft(c + f(d, a, b) + in[2], 11);
        b = Integer.rotateLeft(b + f(c, d, a) + in[3], 19);
        a = Integer.rotateLeft(a + f(b, c, d) + in[4], 3);
        d = Integer.rotateLeft(d + f(a, b, c) + in[5], 7);
        c = Integer.rotateLeft(c + f(d, a, b) + in[6], 11);
        b = Integer.rotateLeft(b + f(c, d, a) + in[7], 19);
        // round 2: G, words 1 3 5 7 0 2 4 6, shifts 3 5 9 13
        a = Integer.rotateLeft(a + g(b, c, d) + in[1] + K2, 3);
        d = Integer.rotateLeft(d + g(a, b, c) + in[3] + K2, 5);
        c = Integer.rotateLeft(c + g(d, a, b) + in[5] + K2, 9);
        b = Integer.rotateLeft(b + g(c, d, a) + in[7] + K2, 13);
        a = Integer.rotateLeft(a + g(b, c, d) + in[0] + K2, 3);
        d = Integer.rotateLeft(d + g(a, b, c) + in[2] + K2, 5);
        c = Integer.rotateLeft(c + g(d, a, b) + in[4] + K2, 9);
        b = Integer.rotateLeft(b + g(c, d, a) + in[6] + K2, 13);
        // round 3: H, words 3 7 2 6 1 5 0 4, shifts 3 9 11 15
        a = Integer.rotateLeft(a + h(b, c, d) + in[3] + K3, 3);
        d = Integer.rotateLeft(d + h(a, b, c) + in[7] + K3, 9);
        c = Integer.rotateLeft(c + h(d, a, b) + in[2] + K3, 11);
        b = Integer.rotateLeft(b + h(c, d, a) + in[6] + K3, 15);
        a = Integer.rotateLeft(a + h(b, c, d) + in[1] + K3, 3);
        d = Integer.rotateLeft(d + h(a, b, c) + in[5] + K3, 9);
        c = Integer.rotateLeft(c + h(d, a, b) + in[0] + K3, 11);
        b = Integer.rotateLeft(b + h(c, d, a) + in[4] + K3, 15);
        buf[0] += a;
        buf[1] += b;
        buf[2] += c;
        buf[3] += d;
    }
}
