//! scratch
use channels_patterns::WorkerPool;
use std::hint::black_box;
use std::time::Instant;

fn trivial(x: u64) -> u64 {
    black_box(x)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(17)
}

fn main() {
    let workers: usize = std::env::args().nth(1).map_or(1, |s| s.parse().unwrap());
    let (pool, results) = WorkerPool::new(workers, trivial as fn(u64) -> u64).unwrap();
    let (jtx, jrx) = crossbeam_channel::unbounded::<u64>();
    let (rtx, rrx) = crossbeam_channel::unbounded::<u64>();
    for _ in 0..workers {
        let (jrx, rtx) = (jrx.clone(), rtx.clone());
        std::thread::spawn(move || {
            for j in jrx {
                rtx.send(trivial(j)).unwrap();
            }
        });
    }
    let (mut ours, mut cb) = (Vec::new(), Vec::new());
    for _ in 0..200 {
        let t = Instant::now();
        for job in 0..100_000u64 {
            pool.submit(job).unwrap();
        }
        for _ in 0..100_000 {
            black_box(results.recv().unwrap().1.unwrap());
        }
        ours.push(0.1 / t.elapsed().as_secs_f64());
        let t = Instant::now();
        for job in 0..100_000u64 {
            jtx.send(job).unwrap();
        }
        for _ in 0..100_000 {
            black_box(rrx.recv().unwrap());
        }
        cb.push(0.1 / t.elapsed().as_secs_f64());
    }
    ours.sort_by(|a, b| a.partial_cmp(b).unwrap());
    cb.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "workers {workers}: ours p10/p50/p90 {:.1}/{:.1}/{:.1}  crossbeam {:.1}/{:.1}/{:.1}",
        ours[20], ours[100], ours[180], cb[20], cb[100], cb[180]
    );
}
