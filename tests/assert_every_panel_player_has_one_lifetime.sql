-- The lifetimes hold exactly the players of the panel.
select panel.player_id
from (select distinct player_id from {{ ref('fct_player_months') }}) as panel
full outer join {{ ref('fct_player_lifetimes') }} as lifetimes
    on panel.player_id = lifetimes.player_id
where panel.player_id is null or lifetimes.player_id is null
