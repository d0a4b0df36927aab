#include "model/train/epoch_loop.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"

namespace wersa::train {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kModelCheckpoint[] = "model.pt";
constexpr char kOptimizerCheckpoint[] = "optimizer.pt";
constexpr char kStateCheckpoint[] = "state.json";
constexpr char kTorchRngCheckpoint[] = "torch_rng.pt";

// Where an interrupted epoch resumes: its first step not yet taken, the
// tokens read before it, both generators' states and the task's figures.
struct PartialEpoch {
  int64_t step = 0;
  int64_t tokens = 0;
  std::string rng;
  torch::Tensor torch_rng;
  // The checkpoint's within_epoch object, as text: what the task restores.
  std::string figures;
};

struct Resumed {
  int first_epoch = 1;
  std::optional<PartialEpoch> partial;
};

void SaveModule(const torch::nn::Module& model, const fs::path& path) {
  torch::serialize::OutputArchive archive;
  model.save(archive);
  archive.save_to(path.string());
}

void LoadModule(torch::nn::Module& model, const fs::path& path) {
  torch::serialize::InputArchive archive;
  archive.load_from(path.string());
  model.load(archive);
}

// The checkpoint in `directory`, loaded into model, optimizer and task.
Resumed LoadCheckpoint(const fs::path& directory, EpochTask& task,
                       torch::nn::Module& model,
                       torch::optim::Optimizer& optimizer) {
  LoadModule(model, directory / kModelCheckpoint);
  torch::load(optimizer, (directory / kOptimizerCheckpoint).string());
  std::ifstream state_file(directory / kStateCheckpoint);
  const nlohmann::json state = nlohmann::json::parse(state_file);
  task.LoadState(directory, state);
  Resumed resumed;
  resumed.first_epoch = state.at("epoch").get<int>() + 1;
  if (const auto within = state.find("within_epoch"); within != state.end()) {
    PartialEpoch partial;
    partial.step = within->at("step").get<int64_t>();
    partial.tokens = within->at("tokens").get<int64_t>();
    partial.rng = within->at("rng").get<std::string>();
    partial.figures = within->dump();
    torch::load(partial.torch_rng, (directory / kTorchRngCheckpoint).string());
    resumed.partial = std::move(partial);
  }
  return resumed;
}

// Everything a resumed run needs after `completed_epoch` epochs; `within`
// (step, tokens, generators, the task's figures) when the next epoch has
// begun.
void SaveCheckpoint(const fs::path& directory, const EpochTask& task,
                    const torch::nn::Module& model,
                    const torch::optim::Optimizer& optimizer,
                    int completed_epoch, const nlohmann::json& within) {
  fs::create_directories(directory);
  SaveModule(model, directory / kModelCheckpoint);
  torch::save(optimizer, (directory / kOptimizerCheckpoint).string());
  nlohmann::json state = {{"epoch", completed_epoch}};
  task.SaveState(directory, state);
  if (!within.is_null()) {
    state["within_epoch"] = within;
    torch::save(at::detail::getDefaultCPUGenerator().get_state(),
                (directory / kTorchRngCheckpoint).string());
  }
  // Written last and renamed into place: a checkpoint interrupted while
  // being written leaves the previous state.json, never a torn one.
  const fs::path temporary =
      directory / (std::string(kStateCheckpoint) + ".tmp");
  std::ofstream(temporary) << state.dump(2) << "\n";
  fs::rename(temporary, directory / kStateCheckpoint);
}

// The generators and figures of an epoch resumed part-way.
void RestorePartialEpoch(const PartialEpoch& partial, EpochTask& task,
                         std::mt19937_64& rng) {
  std::istringstream(partial.rng) >> rng;
  // A copy of the handle shares the generator itself.
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  generator.set_state(partial.torch_rng);
  task.RestoreRunningFigures(nlohmann::json::parse(partial.figures));
}

nlohmann::json WithinEpoch(const EpochTask& task, int64_t next_step,
                           int64_t tokens, const std::mt19937_64& rng) {
  std::ostringstream rng_state;
  rng_state << rng;
  nlohmann::json within = task.RunningFigures();
  within["step"] = next_step;
  within["tokens"] = tokens;
  within["rng"] = rng_state.str();
  return within;
}

}  // namespace

absl::Status RunEpochs(
    EpochTask& task, torch::nn::Module& model,
    torch::optim::Optimizer& optimizer, const EpochLoopOptions& options,
    const std::string& what,
    const std::function<void(const Progress&)>& on_progress) {
  const fs::path checkpoints(options.checkpoints.dir);
  const bool checkpointing = !options.checkpoints.dir.empty();
  Resumed resumed;
  if (options.checkpoints.resume && checkpointing &&
      fs::exists(checkpoints / kStateCheckpoint)) {
    try {
      resumed = LoadCheckpoint(checkpoints, task, model, optimizer);
    } catch (const std::exception& e) {
      return absl::DataLossError(absl::StrCat("cannot resume ", what, " from '",
                                              options.checkpoints.dir,
                                              "': ", e.what()));
    }
  }
  const auto save = [&](int completed_epoch, const nlohmann::json& within) {
    try {
      SaveCheckpoint(checkpoints, task, model, optimizer, completed_epoch,
                     within);
    } catch (const std::exception& e) {
      return absl::InternalError(
          absl::StrCat("writing the ", what, " checkpoint: ", e.what()));
    }
    return absl::OkStatus();
  };

  const int64_t steps_per_epoch = task.StepsPerEpoch();
  const auto run_start = Clock::now();
  int64_t steps_this_run = 0;
  const int last_epoch =
      options.stop_after_epoch > 0
          ? std::min(options.epochs, options.stop_after_epoch)
          : options.epochs;
  for (int epoch = resumed.first_epoch; epoch <= last_epoch; ++epoch) {
    const auto epoch_start = Clock::now();
    std::mt19937_64 rng(options.generator_seed + static_cast<uint64_t>(epoch));
    torch::manual_seed(options.torch_seed + static_cast<uint64_t>(epoch));
    task.StartEpoch(epoch, rng);
    model.train();
    int64_t first_step = 0;
    int64_t tokens = 0;
    if (resumed.partial.has_value()) {
      first_step = resumed.partial->step;
      tokens = resumed.partial->tokens;
      RestorePartialEpoch(*resumed.partial, task, rng);
      resumed.partial.reset();
    }
    const int64_t tokens_before_this_run = tokens;
    for (int64_t step = first_step; step < steps_per_epoch; ++step) {
      tokens += task.Step(epoch, step, rng);
      ++steps_this_run;
      if (on_progress) {
        const double elapsed =
            std::chrono::duration<double>(Clock::now() - epoch_start).count();
        const double run_elapsed =
            std::chrono::duration<double>(Clock::now() - run_start).count();
        const int64_t remaining = (options.epochs - epoch) * steps_per_epoch +
                                  (steps_per_epoch - step - 1);
        on_progress(
            Progress{epoch, options.epochs, step + 1, steps_per_epoch,
                     task.RunningLoss(step + 1),
                     static_cast<double>(tokens - tokens_before_this_run) /
                         std::max(elapsed, 1e-9),
                     run_elapsed / static_cast<double>(steps_this_run) *
                         static_cast<double>(remaining)});
      }
      if (checkpointing && options.checkpoints.every_steps > 0 &&
          step + 1 < steps_per_epoch &&
          (step + 1) % options.checkpoints.every_steps == 0) {
        if (absl::Status saved =
                save(epoch - 1, WithinEpoch(task, step + 1, tokens, rng));
            !saved.ok()) {
          return saved;
        }
      }
    }
    if (absl::Status finished = task.FinishEpoch(epoch, epoch_start);
        !finished.ok()) {
      return finished;
    }
    if (checkpointing) {
      if (absl::Status saved = save(epoch, nullptr); !saved.ok()) return saved;
    }
  }
  model.eval();
  return absl::OkStatus();
}

}  // namespace wersa::train
