//! `scan IMAGE --shard K/N` and `merge PARTS…`: one image scanned on several machines.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};

use chatcarve::report::InputOutcome;
use chatcarve::shard::{Partial, Shard};

use super::args::{MergeCommand, RecoverArgs, RenderArgs};
use super::{now, output, progress, settings, Mode, Run};

/// Scans one shard of one image and writes its partial to `--json`.
pub fn scan(
    inputs: &[PathBuf],
    shard: Shard,
    a: &RecoverArgs,
    render: Option<&RenderArgs>,
) -> anyhow::Result<ExitCode> {
    let [image] = inputs else {
        bail!("--shard scans one image; give one image (run one shard job per image)");
    };
    if render.is_some_and(RenderArgs::any) {
        bail!("--shard writes a partial, not a report; give --html and the other formats to `chatcarve merge`");
    }
    let Some(json) = &a.json else { bail!("--shard writes one partial; give it a --json file") };
    let out = output::Target::new(json, a.force, inputs)?;
    let settings = settings(a)?;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(a.threads).build().context("cannot start worker threads")?;
    let source = chatcarve::source::open(image, &a.open_options()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let data_len = usize::try_from(source.len()).unwrap_or(usize::MAX);
    let chunks = shard.chunks(data_len, &settings);
    let bytes = chatcarve::scan::driver::chunk_bytes(chunks.start, data_len, &settings).start
        ..chatcarve::scan::driver::chunk_bytes(chunks.end.saturating_sub(1), data_len, &settings).end;
    let bar = progress::Bar::new(
        bytes.len() as u64,
        &format!("{} shard {}/{}", image.display(), shard.index, shard.count),
        a.quiet,
    );
    let partial = pool.install(|| {
        chatcarve::shard::scan_shard(source.as_ref(), &image.display().to_string(), shard, &settings, &bar)
    });
    bar.finish();
    out.write(|w| serde_json::to_writer(w, &partial).map_err(std::io::Error::from))?;
    Ok(ExitCode::SUCCESS)
}

/// Joins the partials of every shard and writes the report of the whole image.
pub fn merge(a: MergeCommand) -> anyhow::Result<ExitCode> {
    let started = now();
    let mut parts = Vec::with_capacity(a.parts.len());
    for p in &a.parts {
        parts.push(read_partial(p)?);
    }
    let parts = chatcarve::shard::check_parts(parts)?;
    let Some(first) = parts.first() else { bail!("no partial given") };
    let image = a.image.clone().unwrap_or_else(|| PathBuf::from(&first.image.path));
    let mut inputs = a.parts.clone();
    inputs.push(image.clone());
    let run = Run::new(&a.options, &inputs, Some(&a.render))?;
    let source = chatcarve::source::open(&image, &a.options.open_options())
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("cannot open the image the shards scanned; give its path with --image")?;
    let bar = progress::Bar::new(source.len(), &format!("{} (merge)", image.display()), a.options.quiet);
    let findings =
        run.pool.install(|| chatcarve::shard::analyse_parts(source.as_ref(), 0, &parts, &run.settings, &bar))?;
    bar.finish();
    let outcome = InputOutcome { path: image.display().to_string(), result: Ok(findings) };
    run.write(vec![outcome], started, Mode::Messages, a.options.min_confidence)?;
    Ok(ExitCode::SUCCESS)
}

fn read_partial(path: &Path) -> anyhow::Result<Partial> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read the partial {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "{} is no chatcarve partial; give the files `chatcarve scan IMAGE --shard K/N --json PART` wrote",
            path.display()
        )
    })
}
