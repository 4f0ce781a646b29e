/// When a run may compute its next step. A daemon that keeps several jobs in progress (so that
/// one user's long job does not hold up another user's short one) lets them take turns, one
/// step at a time; each step uses every core. `take` blocks until it is this run's turn, `give`
/// ends the turn. Alone, a run needs none.
public protocol StepTurns: AnyObject {
    func take()
    func give()
}

extension StepTurns {
    /// Runs `body` as one turn.
    @inline(__always)
    public func turn<T>(_ body: () throws -> T) rethrows -> T {
        take()
        defer { give() }
        return try body()
    }
}
