/// The three jobs timed two ways in one process, in turn, rep by rep (`--vs-tiling`,
/// `--vs-dispatch`). On a shared host whose speed drifts by half between runs, only such pairs
/// show a change of a few percent; each row gives the per-pair ratios' median and range.
enum PairedJobs {
    /// (name, layer, size, batch) of the seed, grid and big jobs.
    static let jobs = [("seed", "block3_conv1", 150, 1), ("grid", "block4_conv3", 64, 16), ("big", "block5_conv3", 224, 1)]

    /// Prints one row per job (all, or the one named `only`): `first` and `second` each return
    /// the seconds of one step of (layer, size, batch).
    static func run(title: String, firstName: String, secondName: String, reps: Int, only: String?,
                    first: (String, Int, Int) -> Double, second: (String, Int, Int) -> Double) {
        print("## \(title) (seconds per step, \(reps) pairs)")
        print("")
        print("| job | \(firstName) s/step | \(secondName) s/step | ratio, median of pairs | ratio range |")
        print("| --- | --- | --- | --- | --- |")
        for (name, layer, size, batch) in jobs where only.map({ $0 == name }) ?? true {
            var a: [Double] = [], b: [Double] = []
            for _ in 0..<reps {
                a.append(first(layer, size, batch))
                b.append(second(layer, size, batch))
            }
            let ratios = zip(a, b).map { $0 / $1 }.sorted()
            print("| \(name) | \(Benchmark.f(Benchmark.median(a), 4)) | \(Benchmark.f(Benchmark.median(b), 4)) | "
                  + "\(Benchmark.f(Benchmark.median(ratios), 3)) | \(Benchmark.f(ratios.first!, 2))-\(Benchmark.f(ratios.last!, 2)) |")
        }
        print("")
    }
}
