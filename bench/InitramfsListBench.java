import dev.linuximage.core.initramfs.InitramfsReader;

import java.nio.file.Files;
import java.nio.file.Path;

/** Lists an initramfs with InitramfsReader (bodies streamed and skipped) twice; prints entries, bytes and seconds. */
public class InitramfsListBench {
    public static void main(String[] args) throws Exception {
        byte[] img = Files.readAllBytes(Path.of(args[0]));
        for (int i = 0; i < 2; i++) {
            long t = System.nanoTime();
            InitramfsReader.Summary s = new InitramfsReader().read(img, (e, in) -> { });
            System.out.printf("linuximage: %s: %d entries, %d decoded bytes, %.2f s%n", args[0], s.entries(),
                    s.decodedBytes(), (System.nanoTime() - t) / 1e9);
        }
    }
}
