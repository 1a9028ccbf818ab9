package weir.testjobs;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Stand-in for the Java A/R batch job: takes the same --key value arguments, refuses a missing
 * --mdata folder, and records its arguments (one per line) in ar_runs/<report.id>_<run.date>.txt
 * beside the tenant's mdata folder.
 */
public class FakeArJob {

    public static void main(String[] args) throws Exception {
        Map<String, String> params = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            params.put(args[i], args[i + 1]);
        }
        Path mdata = Paths.get(params.get("--mdata").replaceFirst("^file:(//)?", ""));
        if (!new File(mdata.toString()).isDirectory()) {
            throw new IllegalArgumentException("WEIR_FAKE_AR: no metric data at " + mdata);
        }
        Path out = mdata.getParent().getParent().resolve("ar_runs")
            .resolve(params.get("--report.id") + "_" + params.get("--run.date") + ".txt");
        Files.createDirectories(out.getParent());
        Files.write(out, Arrays.asList(args), StandardCharsets.UTF_8);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        env.fromData(1, 2, 3).print();
        env.execute();
    }
}
