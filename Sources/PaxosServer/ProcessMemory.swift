/// How the node asks glibc's allocator to give memory back, so that its resident size follows
/// what it holds (bounded history) rather than its busiest moment (DESIGN.md, "Bounded history").
///
/// malloc.h is not in Swift's Glibc module, hence the two declarations by symbol name.
enum ProcessMemory {
    /// Called once, before the node allocates anything of size. glibc by default raises its
    /// mmap threshold each time a large block is freed (up to 32 MiB on 64-bit): after start-up
    /// read the log, a compaction built its checkpoint or a catch-up decoded a batch, later
    /// blocks of that size come from an arena heap instead of their own mapping, and the freed
    /// space stays resident between live objects where `malloc_trim` cannot return it. A node
    /// restarted under load measured 13-15 MB of anonymous memory against 7-9 MB for a peer that
    /// was not; with the threshold fixed it measured 8-9 MB like the peer (`growth.sh`'s
    /// restarted node 3). A fixed threshold turns the adjustment off: every block above it is
    /// mapped on its own and unmapped when freed. The price, measured: a snapshot transfer
    /// (large buffers, one after another) runs about half as fast.
    static func configureAllocator() {
        #if os(Linux)
        _ = glibcMallopt(glibcMmapThresholdParameter, 128 << 10)
        #endif
    }

    /// Returns the free memory at the top of every heap, and whole free pages inside them, to
    /// the system.
    static func returnFreeMemory() {
        #if os(Linux)
        _ = glibcMallocTrim(0)
        #endif
    }
}

#if os(Linux)
/// `M_MMAP_THRESHOLD` in malloc.h.
private let glibcMmapThresholdParameter: Int32 = -3

@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32

@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif
