//! Programs for the execution benchmarks. The same source is compiled
//! natively (for the native column) and to `wasm32-unknown-unknown` by
//! `benches/build.rs` (for the engines). Everything works in a caller-given
//! buffer so the wasm build needs no allocator; each entry point returns a
//! checksum so the result can be compared across engines.

#![no_std]

/// Recursive Fibonacci.
pub fn fib(n: u32) -> u64 {
    if n < 2 {
        n as u64
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

fn sha256_block(state: &mut [u32; 8], block: &[u8]) {
    let mut w = [0u32; 64];
    for (i, word) in block.chunks_exact(4).enumerate() {
        w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
    }
    for i in 16..64 {
        let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
        let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16]
            .wrapping_add(s0)
            .wrapping_add(w[i - 7])
            .wrapping_add(s1);
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for i in 0..64 {
        let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let ch = (e & f) ^ (!e & g);
        let t1 = h
            .wrapping_add(s1)
            .wrapping_add(ch)
            .wrapping_add(K[i])
            .wrapping_add(w[i]);
        let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        let t2 = s0.wrapping_add(maj);
        h = g;
        g = f;
        f = e;
        e = d.wrapping_add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.wrapping_add(t2);
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *s = s.wrapping_add(v);
    }
}

/// SHA-256 of `data` (whole 64-byte blocks plus standard padding); returns
/// the first 8 bytes of the digest as a checksum.
pub fn sha256(data: &[u8]) -> u64 {
    let mut state = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut chunks = data.chunks_exact(64);
    for block in &mut chunks {
        sha256_block(&mut state, block);
    }
    let rest = chunks.remainder();
    let mut tail = [0u8; 128];
    tail[..rest.len()].copy_from_slice(rest);
    tail[rest.len()] = 0x80;
    let len = if rest.len() < 56 { 64 } else { 128 };
    tail[len - 8..len].copy_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in tail[..len].chunks_exact(64) {
        sha256_block(&mut state, block);
    }
    (u64::from(state[0]) << 32) | u64::from(state[1])
}

/// Fills `buf` with a deterministic pseudo-random byte pattern.
pub fn fill_pattern(buf: &mut [u8], seed: u32) {
    let mut x = seed | 1;
    for b in buf {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
}

/// `c = a * b` for `n`x`n` row-major f64 matrices; returns the trace of c.
pub fn matmul(a: &[f64], b: &[f64], c: &mut [f64], n: usize) -> f64 {
    for i in 0..n {
        for j in 0..n {
            c[i * n + j] = 0.0;
        }
        for k in 0..n {
            let aik = a[i * n + k];
            for j in 0..n {
                c[i * n + j] += aik * b[k * n + j];
            }
        }
    }
    (0..n).map(|i| c[i * n + i]).sum()
}

/// Fills an `n`x`n` matrix with a deterministic pattern.
pub fn fill_matrix(m: &mut [f64], n: usize, seed: f64) {
    for (i, v) in m.iter_mut().enumerate().take(n * n) {
        *v = ((i % 17) as f64 + seed) * 0.5 - 3.0;
    }
}

/// Number of primes below `flags.len()` (sieve of Eratosthenes).
pub fn sieve(flags: &mut [u8]) -> u32 {
    let n = flags.len();
    flags.fill(1);
    let mut count = 0;
    for i in 2..n {
        if flags[i] != 0 {
            count += 1;
            // `i * i` overflows a 32-bit usize for large `i`.
            let mut j = i.checked_mul(i).unwrap_or(n);
            while j < n {
                flags[j] = 0;
                j += i;
            }
        }
    }
    count
}

/// Writes a JSON document of `records` records into `out`; returns its length.
pub fn make_json(out: &mut [u8], records: usize) -> usize {
    let mut w = Writer { out, len: 0 };
    w.put(b"[");
    for i in 0..records {
        if i > 0 {
            w.put(b",");
        }
        w.put(b"{\"id\": ");
        w.num(i as u64);
        w.put(b", \"name\": \"item-");
        w.num((i * 7919 % 10007) as u64);
        w.put(b"\", \"price\": ");
        w.num((i * 31 % 997) as u64);
        w.put(b".");
        w.num((i % 100) as u64);
        w.put(b", \"tags\": [\"a\", \"b\\n\", \"c\"], \"active\": ");
        w.put(if i % 3 == 0 { b"true" } else { b"false" });
        w.put(b", \"next\": null}");
    }
    w.put(b"]");
    w.len
}

struct Writer<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl Writer<'_> {
    fn put(&mut self, s: &[u8]) {
        let end = (self.len + s.len()).min(self.out.len());
        self.out[self.len..end].copy_from_slice(&s[..end - self.len]);
        self.len = end;
    }

    fn num(&mut self, mut v: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.put(&digits[i..]);
    }
}

/// Parses JSON text, returning a checksum of its structure and scalars
/// (0 for malformed input).
pub fn parse_json(text: &[u8]) -> u64 {
    let mut p = Parser {
        s: text,
        i: 0,
        sum: 0,
    };
    match p.value() {
        Some(()) => p.sum,
        None => 0,
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    sum: u64,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\n' | b'\t' | b'\r') {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.s.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    fn mix(&mut self, v: u64) {
        self.sum = self.sum.rotate_left(5) ^ v.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn value(&mut self) -> Option<()> {
        self.ws();
        match *self.s.get(self.i)? {
            b'{' => {
                self.i += 1;
                self.mix(1);
                if self.eat(b'}').is_some() {
                    return Some(());
                }
                loop {
                    self.ws();
                    self.string()?;
                    self.eat(b':')?;
                    self.value()?;
                    if self.eat(b',').is_none() {
                        return self.eat(b'}');
                    }
                }
            }
            b'[' => {
                self.i += 1;
                self.mix(2);
                if self.eat(b']').is_some() {
                    return Some(());
                }
                loop {
                    self.value()?;
                    if self.eat(b',').is_none() {
                        return self.eat(b']');
                    }
                }
            }
            b'"' => self.string(),
            b't' => self.word(b"true", 3),
            b'f' => self.word(b"false", 4),
            b'n' => self.word(b"null", 5),
            _ => self.number(),
        }
    }

    fn word(&mut self, w: &[u8], tag: u64) -> Option<()> {
        (self.s.get(self.i..self.i + w.len())? == w).then(|| {
            self.i += w.len();
            self.mix(tag);
        })
    }

    fn string(&mut self) -> Option<()> {
        if self.s.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        let mut h = 0u64;
        loop {
            let c = *self.s.get(self.i)?;
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = *self.s.get(self.i)?;
                    self.i += 1;
                    h = h.wrapping_mul(31).wrapping_add(u64::from(e) + 256);
                }
                _ => h = h.wrapping_mul(31).wrapping_add(u64::from(c)),
            }
        }
        self.mix(h);
        Some(())
    }

    fn number(&mut self) -> Option<()> {
        let start = self.i;
        let mut v = 0u64;
        while let Some(&c) = self.s.get(self.i) {
            match c {
                b'0'..=b'9' => v = v * 10 + u64::from(c - b'0'),
                b'.' | b'-' | b'e' | b'E' | b'+' => v = v.wrapping_mul(3),
                _ => break,
            }
            self.i += 1;
        }
        (self.i > start).then(|| self.mix(v))
    }
}

/// Copies `src` into `dst` in chunks of `chunk` bytes, `rounds` times,
/// rotating the destination offset; returns a checksum of `dst`.
pub fn memcopy(src: &[u8], dst: &mut [u8], chunk: usize, rounds: usize) -> u64 {
    let n = src.len().min(dst.len());
    for r in 0..rounds {
        let shift = (r * 4099) % chunk.max(1);
        let mut off = 0;
        while off + chunk <= n {
            let d = (off + shift) % (n - chunk + 1);
            dst[d..d + chunk].copy_from_slice(&src[off..off + chunk]);
            off += chunk;
        }
    }
    dst.iter()
        .step_by(61)
        .fold(0u64, |h, &b| h.wrapping_mul(131).wrapping_add(u64::from(b)))
}

/// The benchmarked entry points, over caller-given scratch buffers: the
/// wasm build calls them with static buffers, the native build with heap
/// ones, so both run exactly the same steps.
pub mod entry {
    /// Bytes in each of the `data` and `out` buffers.
    pub const BUF: usize = 4 << 20;
    /// `f64`s in the matrix buffer: three 256x256 matrices.
    pub const MATS: usize = 3 * 256 * 256;

    /// `fib(n)`.
    pub fn fib(n: u32) -> u64 {
        super::fib(n)
    }

    /// Fills `len` bytes of `data` with a pattern and hashes them.
    pub fn sha256(data: &mut [u8], len: usize) -> u64 {
        let data = &mut data[..len.min(BUF)];
        super::fill_pattern(data, 7);
        super::sha256(data)
    }

    /// Multiplies two `n`x`n` matrices (`n` at most 256).
    pub fn matmul(mats: &mut [f64], n: usize) -> f64 {
        let n = n.min(256);
        let (a, rest) = mats.split_at_mut(256 * 256);
        let (b, c) = rest.split_at_mut(256 * 256);
        super::fill_matrix(a, n, 1.0);
        super::fill_matrix(b, n, 2.0);
        super::matmul(a, b, c, n)
    }

    /// Counts the primes below `n` (at most [`BUF`]).
    pub fn sieve(data: &mut [u8], n: usize) -> u32 {
        super::sieve(&mut data[..n.min(BUF)])
    }

    /// Writes `records` JSON records into `out` and parses them back.
    pub fn json(out: &mut [u8], records: usize) -> u64 {
        let len = super::make_json(out, records);
        super::parse_json(&out[..len])
    }

    /// Copies 1 MiB from `src` to `dst` in `chunk`-byte pieces, `rounds`
    /// times.
    pub fn memcopy(src: &mut [u8], dst: &mut [u8], chunk: usize, rounds: usize) -> u64 {
        super::fill_pattern(src, 3);
        super::memcopy(&src[..1 << 20], &mut dst[..1 << 20], chunk, rounds)
    }
}

/// Entry points of the wasm build, exported under the names of their
/// [`entry`] counterparts. There is no allocator, so their scratch buffers
/// are one static, lent out by [`wasm::with_scratch`].
#[cfg(target_arch = "wasm32")]
mod wasm {
    use super::entry::{self, BUF, MATS};

    /// The scratch buffers of every entry point.
    struct Scratch {
        data: [u8; BUF],
        out: [u8; BUF],
        mats: [f64; MATS],
    }

    static mut SCRATCH: Scratch = Scratch {
        data: [0; BUF],
        out: [0; BUF],
        mats: [0.0; MATS],
    };

    /// Runs `f` on the scratch buffers.
    fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
        let scratch = &raw mut SCRATCH;
        // SAFETY: `wasm32-unknown-unknown` without the `atomics` feature has
        // one thread, so exports run one at a time; only they call this, and
        // `f` (code in `entry`) never calls an export, so this is the only
        // reference to `SCRATCH` while it lives.
        f(unsafe { &mut *scratch })
    }

    #[unsafe(no_mangle)]
    pub extern "C" fn fib(n: u32) -> u64 {
        entry::fib(n)
    }

    #[unsafe(no_mangle)]
    pub extern "C" fn sha256(len: usize) -> u64 {
        with_scratch(|s| entry::sha256(&mut s.data, len))
    }

    #[unsafe(no_mangle)]
    pub extern "C" fn matmul(n: usize) -> f64 {
        with_scratch(|s| entry::matmul(&mut s.mats, n))
    }

    #[unsafe(no_mangle)]
    pub extern "C" fn sieve(n: usize) -> u32 {
        with_scratch(|s| entry::sieve(&mut s.data, n))
    }

    #[unsafe(no_mangle)]
    pub extern "C" fn json(records: usize) -> u64 {
        with_scratch(|s| entry::json(&mut s.out, records))
    }

    #[unsafe(no_mangle)]
    pub extern "C" fn memcopy(chunk: usize, rounds: usize) -> u64 {
        with_scratch(|s| entry::memcopy(&mut s.data, &mut s.out, chunk, rounds))
    }

    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
        core::arch::wasm32::unreachable()
    }
}
