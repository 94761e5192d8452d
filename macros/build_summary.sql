{#- The summary a person reads at the end of every `dbt build` / `dbt run` (the on-run-end hook in
    dbt_project.yml): where the export came from and its month, partners, raw / clean /
    quarantined rows with the top reasons, players and partitions, the tail models chosen, whether
    the classifier trained (and why not), the artifact written. It reads the warehouse as it is
    after the run: a table or column that is missing (a --select build, a failed model) gives a
    line saying so, never an error, so the summary cannot fail the build. It also records the run
    in meta.build_runs, which tells `make report` which export a warehouse holds. -#}
{% macro build_summary(results) %}
    {%- if not execute or flags.WHICH not in ('build', 'run') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set lines = [] -%}
    {%- set record = {'partners': '', 'export_month': ''} -%}

    {#- This run -#}
    {%- set statuses = {} -%}
    {%- for result in results -%}
        {%- set status = result.status | string -%}
        {%- do statuses.update({status: statuses.get(status, 0) + 1}) -%}
    {%- endfor -%}
    {%- set words = {'success': 'built', 'pass': 'tests passed', 'warn': 'tests warned',
        'fail': 'tests failed', 'error': 'errors', 'skipped': 'skipped', 'no-op': 'no-op'} -%}
    {%- set run_parts = [] -%}
    {%- for status in ['success', 'pass', 'warn', 'fail', 'error', 'skipped'] if status in statuses -%}
        {%- do run_parts.append(statuses[status] ~ ' ' ~ words[status]) -%}
    {%- endfor -%}
    {%- do lines.append(('this run', (run_parts | join(', ')) or 'nothing selected')) -%}

    {#- Export: where it came from, its month -#}
    {%- set source_line = [raw_activity_path()] -%}
    {%- set window = churn_summary_rows('int_export_window',
            ['data_start_month', 'export_month', 'export_month_source'],
            'select data_start_month, export_month, export_month_source from {relation}') -%}
    {%- if window is string -%}
        {%- do source_line.append(window) -%}
    {%- elif window | length -%}
        {%- set row = window[0] -%}
        {%- do record.update({'export_month': row[1] | string}) -%}
        {%- do source_line.append('export month ' ~ (row[1] | string)[:7] ~ ' (' ~ row[2] ~ '), data from '
            ~ (row[0] | string)[:7]) -%}
    {%- endif -%}
    {%- do lines.append(('export', source_line | join(', '))) -%}

    {#- Partners and rows -#}
    {%- set partners = churn_summary_rows('stg_partner__activity', ['partner_id'],
            "select coalesce(partner_id, '(missing)'), count(*) from {relation} group by 1 order by 1") -%}
    {%- if partners is string -%}
        {%- do lines.append(('partners', partners)) -%}
        {%- set n_raw = none -%}
    {%- else -%}
        {%- set names = partners | map(attribute=0) | list -%}
        {%- set n_raw = partners | map(attribute=1) | sum -%}
        {%- do record.update({'partners': names | join(', ')}) -%}
        {%- set partner_line = names | length ~ ': ' ~ (names[:12] | join(', '))
            ~ (', ...' if names | length > 12 else '') -%}
        {%- do lines.append(('partners', partner_line)) -%}
    {%- endif -%}
    {%- set clean = churn_summary_rows('int_activity__clean', [], 'select count(*) from {relation}') -%}
    {%- set quarantine = churn_summary_rows('dq_quarantine', ['reason_code'],
            'select reason_code, count(*) as n from {relation} group by 1 order by n desc, 1') -%}
    {%- if n_raw is none or clean is string or quarantine is string -%}
        {%- do lines.append(('rows', [clean, quarantine] | select('string') | join('; ')
            or 'raw rows unknown')) -%}
    {%- else -%}
        {%- set n_clean = clean[0][0] -%}
        {%- set n_quarantined = quarantine | map(attribute=1) | sum -%}
        {%- set top = [] -%}
        {%- for row in quarantine[:3] -%}
            {%- do top.append(row[0] ~ ' ' ~ churn_summary_count(row[1])) -%}
        {%- endfor -%}
        {%- do lines.append(('rows', churn_summary_count(n_raw) ~ ' raw = '
            ~ churn_summary_count(n_clean) ~ ' clean (' ~ churn_summary_share(n_clean, n_raw) ~ ') + '
            ~ churn_summary_count(n_quarantined) ~ ' quarantined (' ~ churn_summary_share(n_quarantined, n_raw)
            ~ ')' ~ ('; top reasons: ' ~ top | join(', ') if top else '')
            ~ ('' if n_raw == n_clean + n_quarantined else '; DOES NOT BALANCE, see marts.dq_reconciliation'))) -%}
    {%- endif -%}

    {#- How slash dates were read: from staging, which every build selection rebuilds (the
        int_date_order table is not upstream of the scoring and replay selections) -#}
    {%- set dates = churn_summary_rows('stg_partner__activity', ['date_order', 'date_order_basis'],
            'select distinct date_order, date_order_basis from {relation}') -%}
    {%- if dates is string -%}
        {%- do lines.append(('dates', dates)) -%}
    {%- elif dates | length -%}
        {%- do lines.append(('dates', 'slash dates read ' ~ dates[0][0] ~ ': ' ~ dates[0][1])) -%}
    {%- endif -%}

    {#- Players and partitions -#}
    {%- set players = churn_summary_rows('fct_player_lifetimes', ['partner_id', 'geo'],
            'select count(*), count(distinct partner_id || \'/\' || geo) from {relation}') -%}
    {%- if players is string -%}
        {%- do lines.append(('players', players)) -%}
    {%- else -%}
        {%- do lines.append(('players', churn_summary_count(players[0][0]) ~ ' in '
            ~ churn_summary_count(players[0][1]) ~ (' partition' if players[0][1] == 1 else ' partitions')
            ~ ' (partner x state)')) -%}
    {%- endif -%}

    {#- Survival tails -#}
    {%- set tails = churn_summary_rows('churn_survival_fits', ['pooling_level', 'model', 'is_chosen'],
            "select pooling_level, model, count(*) as n from {relation} where is_chosen or model = 'parent'
             group by 1, 2 order by case pooling_level when 'partition' then 1 when 'partner' then 2 else 3 end,
             n desc, 2") -%}
    {%- if tails is string -%}
        {%- do lines.append(('tails', tails)) -%}
    {%- else -%}
        {%- set by_level = {} -%}
        {%- for row in tails -%}
            {%- set label = "parent's tail" if row[1] == 'parent' else row[1] -%}
            {%- do by_level.setdefault(row[0], []).append(label ~ ' ' ~ row[2]) -%}
        {%- endfor -%}
        {%- set parts = [] -%}
        {%- for level, chosen in by_level.items() -%}
            {%- do parts.append(level ~ ': ' ~ chosen | join(', ')) -%}
        {%- endfor -%}
        {%- do lines.append(('tails', (parts | join('; ')) or 'no tail model chosen (no group had enough events)')) -%}
    {%- endif -%}

    {#- Classifier and artifact -#}
    {%- set trained = churn_summary_rows('churn_classifier_evaluation',
            ['model_name', 'model_version', 'is_default', 'status', 'artifact_path'],
            "select model_name, model_version, status, artifact_path, count(distinct model_name) over () as n_candidates
             from {relation} where is_default or model_name = 'none' limit 1") -%}
    {%- if trained is string -%}
        {%- do lines.append(('classifier', trained)) -%}
    {%- elif not trained | length -%}
        {%- do lines.append(('classifier', 'no default model in churn_classifier_evaluation')) -%}
    {%- elif trained[0][0] == 'none' -%}
        {%- do lines.append(('classifier', 'not trained: ' ~ trained[0][2])) -%}
        {%- do lines.append(('artifact', 'none written')) -%}
    {%- else -%}
        {%- do lines.append(('classifier', 'trained; default model ' ~ trained[0][0])) -%}
        {%- do lines.append(('artifact', 'version ' ~ trained[0][1] ~ ' at ' ~ trained[0][3])) -%}
    {%- endif -%}

    {%- set width = 11 -%}
    {%- set text = ['Build summary'] -%}
    {%- for label, value in lines -%}
        {%- do text.append('  ' ~ (label ~ ' ' * width)[:width] ~ value) -%}
    {%- endfor -%}
    {%- do print('\n' ~ text | join('\n') ~ '\n') -%}
    {{ return(churn_record_build_run(record, text | join('\n'))) }}
{% endmacro %}


{#- Rows of a query over a built model, or a sentence saying why it cannot be read: the model is
    not in the warehouse, or lacks one of the columns the query needs. `{relation}` in the SQL is
    replaced by the model's relation. -#}
{% macro churn_summary_rows(model_name, required_columns, sql) %}
    {%- set node = (graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'equalto', model_name) | list) -%}
    {%- if not node -%}
        {{ return(model_name ~ ' is not in this project') }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(database=node[0].database, schema=node[0].schema,
        identifier=node[0].alias) -%}
    {%- if relation is none -%}
        {{ return(model_name ~ ' is not built (a --select build, or it failed)') }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name')
        | map('lower') | list -%}
    {%- set missing = required_columns | reject('in', columns) | list -%}
    {%- if missing -%}
        {{ return(model_name ~ ' has no column ' ~ missing | join(', ')) }}
    {%- endif -%}
    {%- set table = run_query(sql | replace('{relation}', relation | string)) -%}
    {{ return(table.rows | list) }}
{% endmacro %}


{% macro churn_summary_count(value) -%}
    {{- '{:,}'.format(value | int) -}}
{%- endmacro %}


{% macro churn_summary_share(part, whole) -%}
    {{- '{:.1%}'.format(part / whole) if whole else 'n/a' -}}
{%- endmacro %}


{#- One row per build in meta.build_runs: when, which export, its month, the summary text.
    Returns no SQL: the statements run here and are committed. -#}
{% macro churn_record_build_run(record, summary) %}
    {%- set values = [invocation_id, raw_activity_path(), record.export_month, record.partners,
        flags.WHICH, summary] -%}
    {%- set literals = [] -%}
    {%- for value in values -%}
        {%- do literals.append(sql_literal(value)) -%}
    {%- endfor -%}
    {%- do run_query('create schema if not exists meta') -%}
    {%- do run_query('create table if not exists meta.build_runs (invocation_id ' ~ dbt.type_string()
        ~ ', raw_activity_path ' ~ dbt.type_string() ~ ', export_month ' ~ dbt.type_string()
        ~ ', partners ' ~ dbt.type_string() ~ ', dbt_command ' ~ dbt.type_string()
        ~ ', summary ' ~ dbt.type_string() ~ ', finished_at ' ~ dbt.type_timestamp() ~ ')') -%}
    {%- do run_query('insert into meta.build_runs select ' ~ literals | join(', ') ~ ', '
        ~ dbt.current_timestamp()) -%}
    {#- run_query opened a transaction; dbt ends a hook's connection with a rollback. -#}
    {%- do adapter.commit() -%}
    {{- return('') -}}
{% endmacro %}
