import Dispatch
import Support
import XCTest

@testable import KindlingCore

final class BuildProgressTests: XCTestCase {
    func testTheStatusNamesThePhaseAndTheCountsSoFar() {
        let progress = BuildProgress()
        XCTAssertEqual(progress.status, "kindling: Starting")
        progress.enter("Installing modules")
        progress.kernelModuleInstalled()
        XCTAssertEqual(progress.status, "kindling: Installing modules: 1 kernel module", "counts at zero are left out")
        progress.moduleInstalled()
        progress.moduleInstalled()
        progress.kernelModuleInstalled()
        XCTAssertEqual(progress.status, "kindling: Installing modules: 2 dracut modules, 2 kernel modules")
        progress.enter("Writing the image")
        progress.archiveWritten(3 * 1024 * 1024 + 512 * 1024)
        XCTAssertEqual(progress.status, "kindling: Writing the image: 2 dracut modules, 2 kernel modules, 3.5 MiB written")
    }

    func testSizesUseTheLargestUnitWithOneDecimal() {
        XCTAssertEqual(BuildProgress.size(0), "0 B")
        XCTAssertEqual(BuildProgress.size(1023), "1023 B")
        XCTAssertEqual(BuildProgress.size(1024), "1.0 KiB")
        XCTAssertEqual(BuildProgress.size(1536), "1.5 KiB")
        XCTAssertEqual(BuildProgress.size(1024 * 1024 - 1), "1023.9 KiB")
        XCTAssertEqual(BuildProgress.size(5 * 1024 * 1024 * 1024), "5.0 GiB")
    }

    func testCountsFromManyThreadsAddUp() {
        let progress = BuildProgress()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<1000 {
                progress.kernelModuleInstalled()
                progress.archiveWritten(1)
            }
        }
        XCTAssertEqual(progress.status, "kindling: Starting: 8000 kernel modules, 7.8 KiB written")
    }

    func testWithoutATerminalNoLineIsShownAndOutputPassesStraightThrough() {
        // The tests' standard error is not a terminal here; when it is, this says nothing.
        guard isatty(STDERR_FILENO) != 1 else { return }
        let progress = BuildProgress()
        var ran = false
        progress.shownOnTerminal(logger: Logger(level: .info), environment: [:]) {
            progress.withLineCleared { ran = true }
        }
        XCTAssertTrue(ran)
    }
}
