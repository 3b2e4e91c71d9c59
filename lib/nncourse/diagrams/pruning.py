"""Pictures for lesson 07: the lottery-ticket procedure on a toy network, drawn by the same functions the lesson
uses (`pruning.prune_by_magnitude`, `pruning.rewind`, `experiments.network_size.draw_network`)."""

from nncourse.core.seeds import stream
from nncourse.diagrams import image

TOY_SEED = 3  # the picture's own seed, fixed so that images/ redraw the same; it has nothing to do with a lesson's seed


def _toy_ticket():
    """A 3-5-5-2 net: its initial weights, stand-in 'trained' weights, and the masks after one round of
    pruning 40% per layer (a large rate so the picture shows it)."""
    from nncourse.blocks.pruning import masked_layers, prunable, prune_by_magnitude, rewind
    from nncourse.core.model import mlp

    rng = stream(TOY_SEED)
    net = prunable(mlp([3, 5, 5, 2], rng=rng))
    theta0 = net.get_weights()
    initial = [layer.params["W"].copy() for layer in masked_layers(net)]
    for layer in masked_layers(net):  # training moves every weight
        layer.params["W"] += rng.normal(scale=0.6, size=layer.params["W"].shape)
    trained = [layer.params["W"].copy() for layer in masked_layers(net)]
    prune_by_magnitude(net, 0.4)
    masks = [layer.mask.copy() for layer in masked_layers(net)]
    pruned = [layer.params["W"].copy() for layer in masked_layers(net)]
    rewind(net, theta0)
    rewound = [layer.params["W"].copy() for layer in masked_layers(net)]
    return initial, trained, pruned, rewound, masks


@image("lottery_ticket_procedure.png", figsize=(9, 2.9))
def lottery_ticket_procedure(fig):
    """Four panels: initialize, train, prune the smallest weights, rewind the survivors to their initial
    values (then train again, and repeat)."""
    from nncourse.lessons.network_size_and_pruning import draw_network, network_key

    initial, trained, pruned, rewound, masks = _toy_ticket()
    sizes = [3, 5, 5, 2]
    titles = [
        "1. initialize ($\\theta_0$)",
        "2. train",
        "3. prune the smallest |w|",
        "4. rewind survivors to $\\theta_0$",
    ]
    panels = [(initial, None), (trained, None), (pruned, masks), (rewound, masks)]
    axes = fig.subplots(1, 4)
    for ax, title, (weights, m) in zip(axes, titles, panels):
        draw_network(ax, sizes, weights, masks=m)
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.spines["bottom"].set_visible(False)
    fig.legend(
        handles=network_key(),
        loc="lower center",
        ncols=2,
        frameon=False,
        title="darker: larger |w|; steps 2-4 repeat each round",
        title_fontsize=9,
    )
    fig.subplots_adjust(left=0.02, right=0.98, top=0.86, bottom=0.22, wspace=0.15)
